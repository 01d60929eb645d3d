// Signing in. /console/config.json says how: "dev" (kairos local: pick a user, POST
// /console/dev/login) or "cognito" (the stack's user pool: its managed login page with the
// code grant and PKCE, then the token exchange at the pool's domain). The ID token lives
// in this tab's sessionStorage until it expires or the user signs out.

export interface Config {
  auth: "dev" | "cognito";
  apiBase: string;
  region?: string;
  userPoolId?: string;
  clientId?: string;
  domain?: string;
  redirectUri?: string;
}

export interface Session {
  idToken: string;
  expiresAt: number;
}

export interface DevUser {
  username: string;
  email: string;
  role: string;
}

const SESSION = "kairos.session";
const PKCE = "kairos.pkce";

export async function loadConfig(): Promise<Config> {
  const answer = await fetch("/console/config.json", { cache: "no-store" });
  if (!answer.ok) throw new Error(`config.json: ${answer.status}`);
  const config = (await answer.json()) as Config;
  return { ...config, apiBase: (config.apiBase || "/console/api").replace(/\/$/, "") };
}

export function session(): Session | null {
  const stored = sessionStorage.getItem(SESSION);
  if (!stored) return null;
  try {
    const found = JSON.parse(stored) as Session;
    if (typeof found.idToken !== "string" || found.expiresAt * 1000 <= Date.now()) {
      forget();
      return null;
    }
    return found;
  } catch {
    forget();
    return null;
  }
}

function remember(found: Session): void {
  sessionStorage.setItem(SESSION, JSON.stringify(found));
}

export function forget(): void {
  sessionStorage.removeItem(SESSION);
}

// ---- development sign-in (kairos local) ---------------------------------------------

export async function devUsers(): Promise<DevUser[]> {
  const answer = await fetch("/console/dev/users", { cache: "no-store" });
  if (!answer.ok) throw new Error(`dev/users: ${answer.status}`);
  return ((await answer.json()) as { users: DevUser[] }).users;
}

export async function devLogin(username: string): Promise<Session> {
  const answer = await fetch("/console/dev/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username }),
  });
  const body = (await answer.json()) as { id_token?: string; expires_at?: number; error?: string };
  if (!answer.ok || !body.id_token) throw new Error(body.error ?? `dev/login: ${answer.status}`);
  const found = { idToken: body.id_token, expiresAt: Number(body.expires_at) };
  remember(found);
  return found;
}

// ---- Cognito managed login ----------------------------------------------------------

function origin(config: Config): string {
  const domain = config.domain ?? "";
  return domain.startsWith("https://") ? domain.replace(/\/$/, "") : `https://${domain}`;
}

function redirectUri(config: Config): string {
  return config.redirectUri ?? `${location.origin}/console/`;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function random(length: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(length)));
}

/** Off to the pool's sign-in page; it comes back to redirectUri with ?code=&state=. */
export async function cognitoSignIn(config: Config): Promise<void> {
  const verifier = random(48);
  const state = random(16);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state, hash: location.hash }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: config.clientId ?? "",
    redirect_uri: redirectUri(config),
    scope: "openid email profile",
    state,
    code_challenge_method: "S256",
    code_challenge: base64url(new Uint8Array(digest)),
  });
  location.assign(`${origin(config)}/oauth2/authorize?${query}`);
}

/** Back from the sign-in page: trade the code for tokens (null when this is no return). */
export async function cognitoReturn(config: Config): Promise<Session | null> {
  const query = new URLSearchParams(location.search);
  const code = query.get("code");
  if (!code) return null;
  const pending = JSON.parse(sessionStorage.getItem(PKCE) ?? "{}") as {
    verifier?: string;
    state?: string;
    hash?: string;
  };
  sessionStorage.removeItem(PKCE);
  history.replaceState(null, "", `${location.pathname}${pending.hash ?? ""}`);
  if (!pending.verifier || pending.state !== query.get("state")) {
    throw new Error("the sign-in answer does not match the request; sign in again");
  }
  const answer = await fetch(`${origin(config)}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.clientId ?? "",
      code,
      redirect_uri: redirectUri(config),
      code_verifier: pending.verifier,
    }),
  });
  const body = (await answer.json()) as { id_token?: string; expires_in?: number; error?: string };
  if (!answer.ok || !body.id_token) throw new Error(body.error ?? `token: ${answer.status}`);
  const found = {
    idToken: body.id_token,
    expiresAt: Math.floor(Date.now() / 1000) + Number(body.expires_in ?? 3600),
  };
  remember(found);
  return found;
}

/** Forget the token; with Cognito also end the pool's own session. */
export function signOut(config: Config | null): void {
  forget();
  if (config?.auth === "cognito") {
    const query = new URLSearchParams({
      client_id: config.clientId ?? "",
      logout_uri: redirectUri(config),
    });
    location.assign(`${origin(config)}/logout?${query}`);
  }
}
