// Hash routing: #/members, #/members/<id>, #/journeys, #/journeys/<id>, #/segments,
// #/segments/<id>, #/import, #/audit. Path parts are URL-encoded member/journey ids.
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "members" }
  | { page: "member"; id: string }
  | { page: "journeys" }
  | { page: "journey"; id: string }
  | { page: "segments" }
  | { page: "segment"; id: string }
  | { page: "import" }
  | { page: "audit" };

export function parse(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("?")[0].split("/").filter(Boolean);
  const [first, second] = parts.map((part) => decodeURIComponent(part));
  switch (first) {
    case "members":
      return second ? { page: "member", id: second } : { page: "members" };
    case "journeys":
      return second ? { page: "journey", id: second } : { page: "journeys" };
    case "segments":
      return second ? { page: "segment", id: second } : { page: "segments" };
    case "import":
      return { page: "import" };
    case "audit":
      return { page: "audit" };
    default:
      return { page: "members" };
  }
}

/** The address of a page, for links. */
export function href(page: string, id?: string): string {
  return id === undefined ? `#/${page}` : `#/${page}/${encodeURIComponent(id)}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parse(location.hash));
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}
