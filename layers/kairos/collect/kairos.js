/* Kairos website snippet: browse events to POST /collect (docs/tracking.md).
   <script src="https://API/collect/kairos.js" data-key="pk_..." async></script>
   kairos.page(); kairos.track("product.viewed", {sku, name, category, price, url, image});
   kairos.consent(true|false); kairos.identify(payload, signature); kairos.liff(idToken).
   No dependencies; nothing is sent while consent says no or Global Privacy Control is on
   (unless data-honor-gpc="false"). */
(function (w, d) {
  "use strict";
  if (w.kairos && w.kairos.__loaded) return;
  var script = d.currentScript || d.querySelector("script[data-key]");
  var cfg = script ? script.dataset : {};
  var src = script && script.src ? script.src : "";
  var endpoint = cfg.endpoint || src.replace(/\/kairos\.js(\?.*)?$/, "");
  var KEY = cfg.key || "";
  var P = "kairos_";
  var SESSION_MS = 30 * 60 * 1000;
  var MAX_QUEUE = 200;
  var BATCH = 20;
  var TYPES = ["page.viewed", "product.viewed", "cart.updated", "checkout.started", "checkout.updated"];
  var pending = w.kairos && w.kairos.q ? w.kairos.q : [];
  var store = {
    get: function (k) { try { return w.localStorage.getItem(P + k); } catch (e) { return null; } },
    set: function (k, v) { try { w.localStorage.setItem(P + k, v); } catch (e) { /* full or off */ } },
    del: function (k) { try { w.localStorage.removeItem(P + k); } catch (e) { /* off */ } }
  };
  function uuid() {
    if (w.crypto && w.crypto.randomUUID) return w.crypto.randomUUID();
    var b = new Uint8Array(16); w.crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }
  function gpc() { return cfg.honorGpc !== "false" && w.navigator.globalPrivacyControl === true; }
  function consented() {
    var c = store.get("consent");
    if (c === "no") return false;
    if (cfg.consent === "required" && c !== "yes") return false;
    return !gpc() || c === "yes";
  }
  function visitor() {
    var v = store.get("vid");
    if (!v) { v = uuid(); store.set("vid", v); }
    // First-party cookie too, so the brand's server can sign an identify for this visitor.
    d.cookie = P + "vid=" + v + "; path=/; max-age=31536000; samesite=lax" + (location.protocol === "https:" ? "; secure" : "");
    return v;
  }
  function session() {
    var now = Date.now(), s = store.get("sid"), at = +(store.get("sid_at") || 0);
    if (!s || now - at > SESSION_MS) { s = uuid(); }
    store.set("sid", s); store.set("sid_at", String(now));
    return s;
  }
  function load() { try { return JSON.parse(store.get("queue") || "[]"); } catch (e) { return []; } }
  var queue = load();
  function save() { store.set("queue", JSON.stringify(queue.slice(-MAX_QUEUE))); }
  function identity() { var i = store.get("identity"); try { return i ? JSON.parse(i) : null; } catch (e) { return null; } }
  function body(events, withIdentity) {
    var b = { key: KEY, visitor: visitor(), session: session(), sentAt: new Date().toISOString(), events: events };
    var i = withIdentity ? identity() : null;
    if (i) b.identity = i;
    return JSON.stringify(b);
  }
  var flushing = false;
  function flush(leaving) {
    if (!consented() || !KEY || !endpoint) return;
    var i = identity();
    if (!queue.length && !i) return;
    var events = queue.slice(0, BATCH);
    if (leaving && !i && w.navigator.sendBeacon) {
      // text/plain: a beacon with JSON's type is refused by Chrome (no preflight).
      var ok = w.navigator.sendBeacon(endpoint, new Blob([body(events, false)], { type: "text/plain" }));
      if (ok) { queue = queue.slice(events.length); save(); }
      return;
    }
    if (flushing) return;
    flushing = true;
    w.fetch(endpoint, { method: "POST", body: body(events, true), keepalive: true, credentials: "omit",
      headers: { "Content-Type": "text/plain" } }).then(function (r) {
      flushing = false;
      if (r.status === 401) { store.del("identity"); return; }  // a refused proof: keep the events
      if (r.ok || (r.status >= 400 && r.status < 500 && r.status !== 429)) {
        // Applied, or refused for good (retrying would not help): off the queue.
        store.del("identity");
        queue = queue.slice(events.length); save();
        if (queue.length) flush(false);
      }
    }, function () { flushing = false; /* offline: the queue is retried on the next page */ });
  }
  var timer = null;
  function soon() { if (!timer) timer = w.setTimeout(function () { timer = null; flush(false); }, 1000); }
  function enqueue(type, data) {
    if (!consented() || TYPES.indexOf(type) < 0) return;
    queue.push({ id: uuid(), type: type, time: new Date().toISOString(), data: data || {} });
    if (queue.length > MAX_QUEUE) queue = queue.slice(-MAX_QUEUE);
    save();
    if (queue.length >= BATCH) flush(false); else soon();
  }
  function page(props) {
    var data = { url: location.href.split("#")[0], title: d.title };
    if (d.referrer) data.referrer = d.referrer;
    for (var k in props || {}) data[k] = props[k];
    enqueue("page.viewed", data);
  }
  function landing() {
    // A Kairos tracked link adds kairos_id=<token>: keep it as this visitor's proof and
    // take it off the address bar (and out of referrers and bookmarks).
    var m = /[?&]kairos_id=([^&#]+)/.exec(location.search);
    if (!m) return;
    store.set("identity", JSON.stringify({ token: decodeURIComponent(m[1]) }));
    var url = location.href.replace(/([?&])kairos_id=[^&#]*(&?)/, function (_, a, b) { return b ? a : ""; }).replace(/[?&]$/, "");
    try { w.history.replaceState(w.history.state, "", url); } catch (e) { /* file: or sandboxed */ }
  }
  var api = {
    __loaded: true,
    page: page,
    track: function (type, props) { enqueue(type, props); },
    consent: function (yes) {
      if (yes) { store.set("consent", "yes"); flush(false); return; }
      store.set("consent", "no");
      // No means forget: the anonymous id, the session, the queue and any proof.
      ["vid", "sid", "sid_at", "queue", "identity"].forEach(store.del);
      d.cookie = P + "vid=; path=/; max-age=0";
      queue = [];
    },
    identify: function (payload, signature) { store.set("identity", JSON.stringify({ payload: payload, signature: signature })); flush(false); },
    liff: function (idToken) { store.set("identity", JSON.stringify({ liff_id_token: idToken })); flush(false); },
    flush: function () { flush(false); }
  };
  // Calls queued after loading run at once: `kairos.q.push(["track", …])` works either way.
  api.q = { push: function (c) { if (api[c[0]]) api[c[0]].apply(null, [].slice.call(c, 1)); } };
  w.kairos = api;
  landing();
  d.addEventListener("visibilitychange", function () { if (d.visibilityState === "hidden") flush(true); });
  w.addEventListener("pagehide", function () { flush(true); });
  for (var i = 0; i < pending.length; i++) { var c = pending[i]; if (api[c[0]]) api[c[0]].apply(null, [].slice.call(c, 1)); }
  if (cfg.autoPage !== "false") page();
  if (queue.length) soon();
})(window, document);
