// "Export": the current list as one CSV file, fetched a page at a time from
// GET members/export (each page repeats the header; X-Next-Cursor until the last).
import { request } from "./api";
import { download } from "./ui";

export type Filters = Record<string, string>;

export async function exportMembers(
  filters: Filters,
  name: string,
  progress: (rows: number) => void = () => undefined,
): Promise<number> {
  const parts: string[] = [];
  let cursor: string | null = null;
  let rows = 0;
  do {
    const answer = await request("GET", "members/export", { ...filters, limit: 1000, cursor });
    let body = await answer.text();
    if (parts.length) body = body.slice(body.indexOf("\n") + 1);
    else if (body.charCodeAt(0) === 0xfeff) body = body.slice(1);
    if (body && !body.endsWith("\n")) body += "\n";
    parts.push(body);
    rows += Number(answer.headers.get("X-Members") ?? 0);
    progress(rows);
    cursor = answer.headers.get("X-Next-Cursor");
  } while (cursor);
  // A BOM so that Excel reads the UTF-8 (names in Chinese) as UTF-8.
  download(name, ["\ufeff", ...parts]);
  return rows;
}
