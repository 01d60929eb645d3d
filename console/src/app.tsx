// The shell: sign-in until there is a session, then the header (brand, navigation by
// role, language switch, "Sign out") and the page the address names.
import { useEffect, useState } from "preact/hooks";
import type { Me } from "./api/types";
import { configure, get, Unauthorized } from "./lib/api";
import { type Config, cognitoReturn, loadConfig, session, signOut } from "./lib/auth";
import { setZone } from "./lib/format";
import { lang, setLang, t } from "./lib/i18n";
import { MeContext } from "./lib/me";
import { href, type Route, useRoute } from "./lib/router";
import { Failure, Loading } from "./lib/ui";
import { Lazy } from "./lazy";
import { AuditPage } from "./pages/Audit";
import { ImportPage } from "./pages/Import";
import { JourneysPage } from "./pages/Journeys";
import { MemberPage } from "./pages/Member";
import { MembersPage } from "./pages/Members";
import { SegmentPage, SegmentsPage } from "./pages/Segments";
import { SignIn } from "./pages/SignIn";

export function App() {
  const [config, setConfig] = useState<Config | null>(null);
  const [me, setMe] = useState<Me | null>(null);
  const [signedIn, setSignedIn] = useState(false);
  const [problem, setProblem] = useState<unknown>(null);
  const [, setLanguage] = useState(lang);

  useEffect(() => {
    loadConfig()
      .then(async (found) => {
        configure(found.apiBase, () => {
          setMe(null);
          setSignedIn(false);
        });
        if (found.auth === "cognito") await cognitoReturn(found);
        setConfig(found);
        setSignedIn(session() !== null);
      })
      .catch(setProblem);
  }, []);

  useEffect(() => {
    if (!signedIn) return;
    get<Me>("me").then(
      (found) => {
        setZone(found.brand.zone);
        setMe(found);
      },
      (error: unknown) => error instanceof Unauthorized || setProblem(error),
    );
  }, [signedIn]);

  const switchLanguage = () => {
    setLang(lang === "en" ? "zh-TW" : "en");
    setLanguage(lang);
  };
  const leave = () => {
    signOut(config);
    setMe(null);
    setSignedIn(false);
  };

  let main;
  if (problem) main = <Failure error={problem} />;
  else if (!config) main = <Loading />;
  else if (!signedIn) main = <SignIn config={config} onSignedIn={() => setSignedIn(true)} />;
  else if (!me) main = <Loading />;
  else main = <Page />;

  return (
    <MeContext.Provider value={me}>
      <header class="top">
        <a class="brand" href={href("members")}>
          {me ? me.brand.name : t("app.title")}
        </a>
        {me && <Nav me={me} />}
        <div class="tools">
          <button type="button" class="plain" lang={lang === "en" ? "zh-Hant" : "en"} onClick={switchLanguage}>
            {t("lang.switch")}
          </button>
          {me && (
            <>
              <span class="muted" data-testid="whoami">
                {me.username} · {me.role ?? "—"}
              </span>
              <button type="button" onClick={leave}>
                {t("sign.out")}
              </button>
            </>
          )}
        </div>
      </header>
      <main key={lang}>{main}</main>
    </MeContext.Provider>
  );
}

function Nav({ me }: { me: Me }) {
  const route = useRoute();
  const at = (...pages: Route["page"][]) => (pages.includes(route.page) ? "page" : undefined);
  return (
    <nav data-testid="nav">
      <a href={href("members")} aria-current={at("members", "member")}>
        {t("nav.members")}
      </a>
      {me.can.journeys && (
        <>
          <a href={href("journeys")} aria-current={at("journeys", "journey")}>
            {t("nav.journeys")}
          </a>
          <a href={href("segments")} aria-current={at("segments", "segment")}>
            {t("nav.segments")}
          </a>
        </>
      )}
      {me.can.import && (
        <a href={href("import")} aria-current={at("import")}>
          {t("nav.import")}
        </a>
      )}
      {me.can.audit && (
        <a href={href("audit")} aria-current={at("audit")}>
          {t("nav.audit")}
        </a>
      )}
    </nav>
  );
}

function Page() {
  const route = useRoute();
  switch (route.page) {
    case "members":
      return <MembersPage />;
    case "member":
      return <MemberPage key={route.id} id={route.id} />;
    case "journeys":
      return <JourneysPage />;
    case "journey":
      return <Lazy key={route.id} id={route.id} />;
    case "segments":
      return <SegmentsPage />;
    case "segment":
      return <SegmentPage key={route.id} id={route.id} />;
    case "import":
      return <ImportPage />;
    case "audit":
      return <AuditPage />;
  }
}
