// A page of members as a table (the members list and a segment's members), with
// cursor paging: "Older" follows `next`, the back button returns.
import { useState } from "preact/hooks";
import type { MemberRow } from "../api/types";
import { day, num, time } from "../lib/format";
import { t } from "../lib/i18n";
import { href } from "../lib/router";

export function memberName(row: { name?: string | null; line_display_name?: string | null; member_id: string }) {
  return row.name || row.line_display_name || row.member_id;
}

export function MemberTable({ rows, testid }: { rows: MemberRow[]; testid: string }) {
  if (!rows.length) return <p class="muted">{t("members.empty")}</p>;
  return (
    <div class="scroll" data-testid={testid}>
      <table>
        <thead>
          <tr>
            <th>{t("col.name")}</th>
            <th>{t("col.contact")}</th>
            <th>{t("col.tags")}</th>
            <th>{t("col.lifecycle")}</th>
            <th>{t("col.rfm")}</th>
            <th class="num">{t("col.orders")}</th>
            <th class="num">{t("col.spent")}</th>
            <th>{t("col.last_order")}</th>
            <th>{t("col.joined")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.member_id} data-testid="member-row">
              <td class="name">
                <a href={href("members", row.member_id)}>{memberName(row)}</a>
                {row.name && row.line_display_name && row.line_display_name !== row.name && (
                  <small class="muted"> {row.line_display_name}</small>
                )}
              </td>
              <td>
                {[row.email, row.phone].filter(Boolean).join(" · ") || "—"}
              </td>
              <td>
                {row.tags.map((tag) => (
                  <span class="tag" key={tag}>
                    {tag}
                  </span>
                ))}
              </td>
              <td>{row.lifecycle ?? "—"}</td>
              <td>{row.rfm_segment ?? "—"}</td>
              <td class="num">{num(row.order_count)}</td>
              <td class="num">{num(row.total_spent)}</td>
              <td>{time(row.last_order_at)}</td>
              <td>{day(row.joined_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Cursor paging: the cursor of the page shown, "Older"/"Newer" moving along `next`. */
export function useCursor(): {
  cursor: string | null;
  forward: (next: string) => void;
  back: (() => void) | null;
  reset: () => void;
} {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  const cursor = stack[stack.length - 1];
  return {
    cursor,
    forward: (next) => setStack([...stack, next]),
    back: stack.length > 1 ? () => setStack(stack.slice(0, -1)) : null,
    reset: () => setStack([null]),
  };
}

export function Pager(props: { next: string | null; forward: (next: string) => void; back: (() => void) | null }) {
  if (!props.next && !props.back) return null;
  return (
    <p class="pager">
      {props.back && (
        <button type="button" class="plain" onClick={props.back}>
          ←
        </button>
      )}
      {props.next && (
        <button type="button" onClick={() => props.forward(props.next as string)} data-testid="next-page">
          {t("more")} →
        </button>
      )}
    </p>
  );
}
