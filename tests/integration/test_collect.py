"""`POST /collect` through the real webhook handler on the memory backend: browse events
on the visitor's profile, bounded; proofs (tracked link, LIFF, signed identify) tie the
visitor to a member and merge the anonymous history; hostile input refused or counted
(docs/tracking.md)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kairos.clock import FixedClock, from_epoch_ms
from kairos.collect.visits import visitor_member_id
from kairos.delivery.tracking import make_token
from kairos.ingest.proofs import sign_identify, site_token
from kairos.ingest.signatures import sign_kairos
from kairos.models.member import Member
from kairos.store.members import MemberRepository
from kairos_dev.local.apigw import proxy_event
from kairos_dev.local.backends import MemoryBackend
from kairos_dev.local.functions import FunctionHost
from kairos_dev.local.stack import LocalStack, create_local_stack
from tests.builders import NOW_MS, canonical

ORIGIN = "https://shop.example"
KEY, OLD_KEY = "pk_live_new", "pk_live_old"
SITES = [{"key": KEY, "origins": [ORIGIN]}, {"key": OLD_KEY, "origins": [ORIGIN]}]
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
NOW = from_epoch_ms(NOW_MS)
LIFF_CHANNEL = "2000000001"


class Site:
    """A browser on the brand's site, and the webhook handler it reaches."""

    def __init__(self, liff: Any = None) -> None:
        self.backend = MemoryBackend(FixedClock(datetime.fromtimestamp(NOW_MS / 1000, tz=UTC)))
        self.stack: LocalStack = create_local_stack(self.backend, prefix="collect")
        env = {
            **self.stack.environ(),
            "KAIROS_COLLECT_SITES": json.dumps(SITES),
            "KAIROS_LIFF_CHANNEL_ID": LIFF_CHANNEL,
        }
        if liff is not None:
            env["KAIROS_LINE_API_ENDPOINT"] = liff.url
        self.host = FunctionHost(self.backend.aws, env)
        self.members = MemberRepository(self.stack.tables["main"], self.backend.client("dynamodb"))
        self.visitor = f"anon-{uuid.uuid4().hex[:12]}"
        self.session = f"sess-{uuid.uuid4().hex[:12]}"

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
        now_ms: int = NOW_MS,
    ) -> tuple[int, dict[str, str], Any]:  # fmt: skip
        result = self.host.invoke("webhook", proxy_event(method, path, headers or {}, body, now_ms))
        text = result.get("body") or ""
        try:
            payload = json.loads(text) if text else {}
        except json.JSONDecodeError:
            payload = text
        headers = {k: v[0] for k, v in (result.get("multiValueHeaders") or {}).items()}
        headers.update(result.get("headers") or {})
        return int(result["statusCode"]), headers, payload

    def send(
        self,
        events: list[dict[str, Any]],
        *,
        key: str = KEY,
        origin: str = ORIGIN,
        agent: str = CHROME,
        identity: dict[str, str] | None = None,
        sent_at: datetime = NOW,
        visitor: str | None = None,
        raw: bytes | None = None,
        now_ms: int = NOW_MS,
    ) -> tuple[int, dict[str, str], Any]:
        body: dict[str, Any] = {
            "key": key, "visitor": visitor or self.visitor, "session": self.session,
            "sentAt": sent_at.isoformat(), "events": events,
        }  # fmt: skip
        if identity:
            body["identity"] = identity
        data = raw if raw is not None else json.dumps(body).encode()
        headers = {"Origin": origin, "User-Agent": agent, "Content-Type": "text/plain"}
        return self.request("POST", "/collect", data, headers, now_ms)

    def member(self, member_id: str) -> Member:
        found = self.members.get(member_id)
        assert found is not None
        return found

    @property
    def anonymous_id(self) -> str:
        return visitor_member_id(self.visitor, self.stack.secrets.member_id_key.encode())

    def events(self, payload: Any) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        signature = sign_kairos(body, self.stack.secrets.webhook_secret)
        status, _, answer = self.request("POST", "/events", body, {"X-Kairos-Signature": signature})
        assert status == 200, answer


def view(sku: str, at: datetime = NOW, **data: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "type": "product.viewed", "time": at.isoformat(),
            "data": {"sku": sku, "name": f"Product {sku}", "category": "mattress",
                     "price": 1280, "url": f"{ORIGIN}/p/{sku}",
                     "image": f"{ORIGIN}/i/{sku}.jpg", **data}}  # fmt: skip


def page(url: str = f"{ORIGIN}/", at: datetime = NOW) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "type": "page.viewed", "time": at.isoformat(),
            "data": {"url": url, "title": "Shop"}}  # fmt: skip


@pytest.fixture
def site() -> Site:
    return Site()


def test_browse_events_land_on_the_anonymous_visitor_bounded(site: Site) -> None:
    # Given a visitor browsing pages and products, When the snippet sends them in batches
    status, headers, answer = site.send([page(), view("MAT-QUEEN"), view("MAT-QUEEN")])
    assert status == 200, answer
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert answer == {"received": 3, "applied": 3, "duplicates": 0}
    for n in range(30):
        site.send([view(f"SKU-{n}")])
    # Then the profile keeps counters and the last 20 products, one history entry per visit
    member = site.member(site.anonymous_id)
    views = member.stats.views
    assert views.pages == 1 and views.products == 32 and views.visits == 1
    assert views.sku["MAT-QUEEN"] == 2 and views.category["mattress"] == 32
    assert len(views.recent) == 20
    assert member.profile["last_seen_at"] == NOW.isoformat()
    assert not member.identifiers and member.profile["anonymous"] is True
    kinds = [e["kind"] for e in site.members.timeline(site.anonymous_id)]
    assert kinds == ["site.visit"]


def test_an_event_id_seen_again_within_a_day_has_no_second_effect(site: Site) -> None:
    event = view("MAT-QUEEN")
    site.send([event, page()])
    later = NOW + timedelta(hours=23)
    status, _, answer = site.send(
        [event, page(at=later)], sent_at=later, now_ms=int(later.timestamp() * 1000)
    )
    assert status == 200
    assert answer["duplicates"] == 1 and answer["applied"] == 1
    assert site.member(site.anonymous_id).stats.views.products == 1


def test_the_browser_clock_is_corrected_and_stale_events_dropped(site: Site) -> None:
    # A device clock a year behind: sentAt says so, and the events land at receive time.
    skew = timedelta(days=365)
    fresh = view("MAT-QUEEN", at=NOW - skew)
    stale = view("MAT-OLD", at=NOW - skew - timedelta(days=8))
    ahead = view("MAT-NEW", at=NOW - skew + timedelta(days=2))
    status, _, answer = site.send([fresh, stale, ahead], sent_at=NOW - skew)
    assert status == 200
    assert answer["applied"] == 1 and answer["dropped"] == {"too_old": 1, "future": 1}
    recent = site.member(site.anonymous_id).stats.views.recent
    assert [p.sku for p in recent] == ["MAT-QUEEN"] and recent[0].viewed_at == NOW.isoformat()


@pytest.mark.parametrize(
    "field,value",
    [
        ("email", "victim@example.com"),
        ("line_user_id", "U-victim"),
        ("phone", "+886912345678"),
        ("external_id", "shop-cust-1"),
    ],
)
def test_a_browser_claiming_an_identifier_is_refused(site: Site, field: str, value: str) -> None:
    site.events(canonical("seed", "line.follow", {"line_user_id": "U-victim"}))
    victim = site.members.find("line_user_id", "U-victim")
    assert victim
    before = site.member(victim)
    status, _, answer = site.send([view("MAT-QUEEN", **{field: value})])
    assert status == 400 and "proof" in answer["error"]
    status, _, answer = site.send([{**page(), "member": {field: value}}])
    assert status == 400
    assert site.members.get(site.anonymous_id) is None
    assert site.member(victim) == before


@pytest.mark.parametrize(
    "kwargs,status",
    [
        ({"key": "pk_unknown"}, 403),
        ({"origin": "https://evil.example"}, 403),
        (
            {"agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
            202,
        ),
        ({"agent": ""}, 202),
    ],
)
def test_a_wrong_key_origin_or_a_crawler_writes_nothing(
    site: Site, kwargs: dict[str, str], status: int
) -> None:
    found, headers, _ = site.send([view("MAT-QUEEN")], **kwargs)
    assert found == status
    if kwargs.get("origin"):
        assert "Access-Control-Allow-Origin" not in headers
    assert site.members.get(site.anonymous_id) is None


def test_both_keys_of_a_rotation_are_accepted(site: Site) -> None:
    assert site.send([page()], key=OLD_KEY)[0] == 200
    assert site.send([page()], key=KEY)[0] == 200


def test_oversized_deep_and_long_batches_are_refused(site: Site) -> None:
    assert site.send([page() for _ in range(101)])[0] == 400
    big = view("MAT-QUEEN", name="x" * 200)
    big["data"]["notes"] = "y" * 33_000
    assert site.send([big])[0] == 400
    deep: Any = "x"
    for _ in range(50):
        deep = {"a": deep}
    assert site.send([view("MAT-QUEEN", extra=deep)])[0] == 400
    assert site.send([], raw=b"[" * 100_000)[0] == 400
    assert site.send([], raw=b" " * 600_000)[0] == 413
    assert site.send([{**page(), "type": "order.created"}])[0] == 400
    assert site.members.get(site.anonymous_id) is None


def test_preflight_answers_only_listed_origins(site: Site) -> None:
    status, headers, _ = site.request("OPTIONS", "/collect", headers={"Origin": ORIGIN})
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert headers["Access-Control-Allow-Methods"] == "POST"
    status, headers, _ = site.request(
        "OPTIONS", "/collect", headers={"Origin": "https://x.example"}
    )
    assert status == 403 and "Access-Control-Allow-Origin" not in headers


def test_the_snippet_is_served_small(site: Site) -> None:
    import gzip

    status, headers, body = site.request("GET", "/collect/kairos.js")
    assert status == 200 and headers["Content-Type"].startswith("application/javascript")
    assert len(gzip.compress(str(body).encode())) <= 8 * 1024


def _member_with_line(site: Site) -> str:
    site.events(canonical("seed", "line.follow", {"line_user_id": "U-amy"}))
    member_id = site.members.find("line_user_id", "U-amy")
    assert member_id
    return member_id


def test_a_tracked_link_identifies_the_visitor_and_merges_the_anonymous_history(
    site: Site,
) -> None:
    member_id = _member_with_line(site)
    site.send([view("MAT-QUEEN"), view("MAT-QUEEN")])
    anonymous = site.anonymous_id
    # The member taps a LINE message's link into the shop: the redirect carries a token
    key = site.stack.secrets.tracking_key.encode()
    link = make_token(key, "d-1", member_id, f"{ORIGIN}/p/MAT-QUEEN?utm=line", issued_at=NOW)
    status, headers, _ = site.request("GET", f"/t/{link}")
    assert status == 302 and headers["Location"].startswith(f"{ORIGIN}/p/MAT-QUEEN?utm=line&")
    token = headers["Location"].split("kairos_id=")[1]
    from urllib.parse import unquote

    status, _, answer = site.send([view("MAT-KING")], identity={"token": unquote(token)})
    assert status == 200 and answer["identified"] == "link"
    # Then the anonymous visitor is merged into the member, and later events go there
    assert site.members.get(anonymous) is None
    member = site.member(member_id)
    assert member.stats.views.sku == {"MAT-QUEEN": 2, "MAT-KING": 1}
    assert member.identifiers == {"line_user_id": "U-amy"}
    site.send([view("MAT-TWIN")])
    assert site.member(member_id).stats.views.sku["MAT-TWIN"] == 1
    # A link to another site gets no token
    other = make_token(key, "d-2", member_id, "https://elsewhere.example/x", issued_at=NOW)
    assert "kairos_id" not in site.request("GET", f"/t/{other}")[1]["Location"]


def test_replayed_expired_and_forged_tokens_are_refused(site: Site) -> None:
    member_id = _member_with_line(site)
    key = site.stack.secrets.tracking_key.encode()
    token = site_token(key, member_id, NOW)
    assert site.send([page()], identity={"token": token})[0] == 200
    assert site.send([page()], identity={"token": token})[0] == 200  # the same visitor again
    thief = f"anon-{uuid.uuid4().hex[:12]}"
    status, _, answer = site.send([page()], identity={"token": token}, visitor=thief)
    assert status == 401 and "already used" in answer["error"]
    expired = site_token(key, member_id, NOW - timedelta(hours=2))
    assert site.send([page()], identity={"token": expired}, visitor=thief)[0] == 401
    forged = site_token(b"not-the-key", member_id, NOW)
    assert site.send([page()], identity={"token": forged}, visitor=thief)[0] == 401
    thief_id = visitor_member_id(thief, site.stack.secrets.member_id_key.encode())
    assert site.members.get(thief_id) is None


def test_a_server_signed_identify_links_a_new_customer(site: Site) -> None:
    site.send([view("MAT-QUEEN")])
    secret = site.stack.secrets.webhook_secret
    exp = int((NOW + timedelta(hours=1)).timestamp())
    payload, signature = sign_identify(secret, {"external_id": "shop-9", "exp": exp})
    status, _, answer = site.send([], identity={"payload": payload, "signature": signature})
    assert status == 200 and answer["identified"] == "identify"
    member_id = site.members.find("external_id", "shop-9")
    assert member_id == site.anonymous_id
    member = site.member(member_id)
    assert member.identifiers == {"external_id": "shop-9"} and "anonymous" not in member.profile
    # Tampered or signed for another visitor: refused
    tampered, _ = sign_identify(secret, {"external_id": "shop-1", "exp": exp})
    assert site.send([], identity={"payload": tampered, "signature": signature})[0] == 401
    _, foreign = sign_identify("not-the-key", {"external_id": "shop-1", "exp": exp})
    assert site.send([], identity={"payload": tampered, "signature": foreign})[0] == 401
    assert site.members.find("external_id", "shop-1") is None
    other, sig = sign_identify(secret, {"external_id": "x", "exp": exp, "visitor": "anon-other"})
    assert site.send([], identity={"payload": other, "signature": sig})[0] == 401


def test_a_liff_id_token_identifies_the_line_friend() -> None:
    from kairos_dev.local.fake_line import start_fake_line

    fake = start_fake_line(rate=100, token="t")
    fake.clock = NOW.timestamp  # LINE's clock is the test's
    try:
        site = Site(liff=fake)
        member_id = _member_with_line(site)
        site.send([view("MAT-QUEEN")])
        good = fake.issue_id_token("U-amy", LIFF_CHANNEL, int(NOW.timestamp()) + 3600)
        status, _, answer = site.send([page()], identity={"liff_id_token": good})
        assert status == 200 and answer["identified"] == "liff"
        assert site.member(member_id).stats.views.sku == {"MAT-QUEEN": 1}
        foreign = fake.issue_id_token("U-eve", "1999999999", int(NOW.timestamp()) + 3600)
        site.visitor = f"anon-{uuid.uuid4().hex[:12]}"
        assert site.send([page()], identity={"liff_id_token": foreign})[0] == 401
        assert site.send([page()], identity={"liff_id_token": "forged"})[0] == 401
        assert site.members.find("line_user_id", "U-eve") is None
    finally:
        fake.stop()


def test_a_cart_and_checkout_are_kept_and_an_order_completes_it(site: Site) -> None:
    items = [{"sku": "MAT-QUEEN", "name": "床墊", "qty": 1, "price": 1280,
              "image": f"{ORIGIN}/i/q.jpg"}]  # fmt: skip
    cart = {"id": "c1", "type": "cart.updated", "time": NOW.isoformat(),
            "data": {"items": items, "total": 1280, "currency": "TWD"}}  # fmt: skip
    checkout = {"id": "k1", "type": "checkout.started", "time": NOW.isoformat(),
                "data": {"checkout_id": "chk-1", "items": items, "total": 1280,
                         "currency": "TWD", "url": f"{ORIGIN}/checkout/chk-1"}}  # fmt: skip
    assert site.send([cart, checkout])[0] == 200
    member = site.member(site.anonymous_id)
    assert member.profile["cart"]["items"][0]["sku"] == "MAT-QUEEN"
    assert member.profile["checkout"]["checkout_id"] == "chk-1"
