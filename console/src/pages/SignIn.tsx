// Sign-in. Locally (config auth "dev") pick one of kairos local's users; deployed
// ("cognito") go to the user pool's sign-in page.
import { useEffect, useState } from "preact/hooks";
import { type Config, cognitoSignIn, type DevUser, devLogin, devUsers } from "../lib/auth";
import { t } from "../lib/i18n";

export function SignIn(props: { config: Config; onSignedIn: () => void }) {
  const [users, setUsers] = useState<DevUser[]>([]);
  const [chosen, setChosen] = useState("");
  const [problem, setProblem] = useState("");
  const [busy, setBusy] = useState(false);
  const dev = props.config.auth === "dev";

  useEffect(() => {
    if (!dev) return;
    devUsers().then((found) => {
      setUsers(found);
      setChosen(found[0]?.username ?? "");
    }, (error: Error) => setProblem(error.message));
  }, [dev]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setProblem("");
    try {
      if (dev) {
        await devLogin(chosen);
        props.onSignedIn();
      } else {
        await cognitoSignIn(props.config);
      }
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card narrow" onSubmit={submit} data-testid="sign-in">
      <h1>{t("sign.title")}</h1>
      {dev ? (
        <label>
          {t("sign.user")}
          <select
            value={chosen}
            onChange={(event) => setChosen((event.target as HTMLSelectElement).value)}
            data-testid="sign-in-user"
          >
            {users.map((user) => (
              <option key={user.username} value={user.username}>
                {user.username} ({user.role})
              </option>
            ))}
          </select>
        </label>
      ) : (
        <p class="muted">{t("sign.cognito")}</p>
      )}
      {problem && (
        <p class="error" role="alert">
          {t("sign.failed")}: {problem}
        </p>
      )}
      <button type="submit" disabled={busy || (dev && !chosen)}>
        {t("sign.in")}
      </button>
    </form>
  );
}
