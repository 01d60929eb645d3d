// Calls to the console's API (/console/api/…) with the signed-in user's ID token. A 401
// sends the user back to sign-in; a 403 is a Forbidden the page shows as "your role
// cannot do this"; any other failure an ApiError carrying the API's `error` text.
import { forget, session } from "./auth";

export class Unauthorized extends Error {}
export class Forbidden extends Error {}
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | null | undefined>;

let base = "/console/api";
let onUnauthorized: () => void = () => undefined;

export function configure(apiBase: string, unauthorized: () => void): void {
  base = apiBase;
  onUnauthorized = unauthorized;
}

function url(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== "") params.set(key, String(value));
  }
  const encoded = params.toString();
  return `${base}/${path}${encoded ? `?${encoded}` : ""}`;
}

/** One request; the answer as it came (for CSV), after the 401/403 rules. */
export async function request(
  method: string,
  path: string,
  query: Query = {},
  body?: BodyInit,
  type?: string,
): Promise<Response> {
  const found = session();
  if (!found) {
    onUnauthorized();
    throw new Unauthorized("sign in");
  }
  const headers: Record<string, string> = { Authorization: `Bearer ${found.idToken}` };
  if (type) headers["Content-Type"] = type;
  const answer = await fetch(url(path, query), { method, headers, body, cache: "no-store" });
  if (answer.status === 401) {
    forget();
    onUnauthorized();
    throw new Unauthorized("sign in");
  }
  if (answer.status === 403) throw new Forbidden("forbidden");
  if (!answer.ok) {
    let message = `${answer.status} ${answer.statusText}`;
    try {
      const problem = (await answer.json()) as { error?: string; message?: string };
      message = problem.error ?? problem.message ?? message;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(answer.status, message);
  }
  return answer;
}

export async function get<T>(path: string, query: Query = {}): Promise<T> {
  return (await (await request("GET", path, query)).json()) as T;
}

export async function send<T>(method: string, path: string, query: Query = {}, json?: unknown) {
  const body = json === undefined ? undefined : JSON.stringify(json);
  const answer = await request(method, path, query, body, json === undefined ? undefined : "application/json");
  return (await answer.json()) as T;
}

/** The path segment for an id or tag (`members/<id>`). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
