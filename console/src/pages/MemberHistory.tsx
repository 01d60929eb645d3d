// The member's history, newest first: a kind filter and "Older" pages (?before=), never
// the whole history at once. Each message names its journey, step, channel and status.
import { useEffect, useState } from "preact/hooks";
import type { HistoryEntry, HistoryPage } from "../api/types";
import { get, seg } from "../lib/api";
import { text, time } from "../lib/format";
import { type Key, t } from "../lib/i18n";
import { Failure, useAction } from "../lib/ui";

const KINDS = ["", "line", "orders", "messages", "opens", "clicks", "staff"] as const;

function kindLabel(kind: string): string {
  return t((kind ? `kind.${kind}` : "kind.all") as Key);
}

export function History(props: { id: string; first: HistoryPage }) {
  const [kind, setKind] = useState("");
  const [items, setItems] = useState<HistoryEntry[]>(props.first.items);
  const [next, setNext] = useState<string | null>(props.first.next);
  const { busy, problem, run } = useAction();
  useEffect(() => {
    // the member page was read again (after a tag or a note): start from its first page
    setKind("");
    setItems(props.first.items);
    setNext(props.first.next);
  }, [props.first]);

  const load = (chosen: string, before: string | null) =>
    run(async () => {
      const page = await get<HistoryPage>(`members/${seg(props.id)}/history`, {
        kind: chosen,
        before,
        limit: 25,
      });
      setItems(before ? [...items, ...page.items] : page.items);
      setNext(page.next);
    });

  return (
    <section class="card" data-testid="member-history">
      <header class="title">
        <h2>{t("member.history")}</h2>
        <label class="inline">
          {t("member.history.kind")}
          <select
            value={kind}
            data-testid="history-kind"
            onChange={(event) => {
              const chosen = (event.target as HTMLSelectElement).value;
              setKind(chosen);
              load(chosen, null);
            }}
          >
            {KINDS.map((name) => (
              <option key={name} value={name}>
                {kindLabel(name)}
              </option>
            ))}
          </select>
        </label>
      </header>
      {items.length ? (
        <ol class="history">
          {items.map((entry, index) => (
            <Entry key={`${entry.time}-${index}`} entry={entry} />
          ))}
        </ol>
      ) : (
        <p class="muted">{t("member.history.empty")}</p>
      )}
      {problem !== null && <Failure error={problem} />}
      {next && (
        <button type="button" disabled={busy} onClick={() => load(kind, next)} data-testid="history-older">
          {t("older")}
        </button>
      )}
    </section>
  );
}

// Ids only a developer reads: kept out of the line, in its tooltip.
const TECHNICAL = new Set([
  "delivery_id", "message_id", "provider_message_id", "enrolment_id", "event_id", "request_id",
]);

function Entry({ entry }: { entry: HistoryEntry }) {
  const where = [entry.journey, entry.step, entry.channel, entry.status].filter(Boolean);
  const data = Object.entries(entry.data);
  const detail = text(Object.fromEntries(data.filter(([key]) => !TECHNICAL.has(key))));
  const ids = text(Object.fromEntries(data.filter(([key]) => TECHNICAL.has(key))));
  return (
    <li data-testid="history-entry" data-kind={entry.kind} title={ids || undefined}>
      <time dateTime={entry.time}>{time(entry.time)}</time>
      <span class={`kind kind-${entry.kind}`}>{kindLabel(entry.kind)}</span>
      <strong>{entry.type}</strong>
      {where.length > 0 && <span class="where">{where.join(" › ")}</span>}
      {entry.by && <span class="muted">{entry.by}</span>}
      {detail && <span class="detail">{detail}</span>}
    </li>
  );
}
