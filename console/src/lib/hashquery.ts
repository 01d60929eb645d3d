// A page's own state in its address after `?` (#/members?q=陳&tag=vip), so going back
// or reloading keeps the search.
import { useEffect, useState } from "preact/hooks";

function current(): Record<string, string> {
  const query = location.hash.split("?")[1] ?? "";
  return Object.fromEntries(new URLSearchParams(query));
}

export function useHashQuery(): [Record<string, string>, (next: Record<string, string>) => void] {
  const [query, setQuery] = useState(current);
  useEffect(() => {
    const changed = () => setQuery(current());
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  const update = (next: Record<string, string>) => {
    const kept = Object.entries(next).filter(([, value]) => value !== "");
    const path = location.hash.split("?")[0] || "#/members";
    const encoded = new URLSearchParams(kept).toString();
    location.hash = encoded ? `${path}?${encoded}` : path;
  };
  return [query, update];
}
