// The audit log (admins): every staff change and export, newest first — when, who,
// their role, what, which member and the detail (request reference, filters, rows).
import { useState } from "preact/hooks";
import type { AuditEntry, AuditPage as Page } from "../api/types";
import { get } from "../lib/api";
import { text, time } from "../lib/format";
import { t } from "../lib/i18n";
import { useMe } from "../lib/me";
import { href } from "../lib/router";
import { ForbiddenNote, Show, useLoad } from "../lib/ui";
import { Pager, useCursor } from "./MemberTable";

export function AuditPage() {
  const me = useMe();
  return me.can.audit ? <AuditLog /> : <ForbiddenNote />;
}

function AuditLog() {
  const [member, setMember] = useState("");
  const [draft, setDraft] = useState("");
  const paging = useCursor();
  const page = useLoad(
    () => get<Page>("audit", { member, before: paging.cursor, limit: 50 }),
    [member, paging.cursor],
  );
  return (
    <section>
      <h1>{t("nav.audit")}</h1>
      <form
        class="row"
        onSubmit={(event) => {
          event.preventDefault();
          paging.reset();
          setMember(draft.trim());
        }}
      >
        <label>
          {t("audit.filter")}
          <input type="text" value={draft} onInput={(e) => setDraft((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">{t("members.filter")}</button>
      </form>
      <Show loaded={page}>
        {(data) => (
          <>
            <div class="scroll" data-testid="audit-log">
              <table>
                <thead>
                  <tr>
                    <th>{t("audit.time")}</th>
                    <th>{t("audit.by")}</th>
                    <th>{t("audit.role")}</th>
                    <th>{t("audit.action")}</th>
                    <th>{t("audit.member")}</th>
                    <th>{t("audit.detail")}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((entry: AuditEntry) => (
                    <tr key={`${entry.time}-${entry.request_id}`} data-testid="audit-entry">
                      <td>{time(entry.time)}</td>
                      <td class="wrap">{entry.by}</td>
                      <td>{entry.role}</td>
                      <td>{entry.action}</td>
                      <td>
                        {entry.member_id ? <a href={href("members", entry.member_id)}>{entry.member_id}</a> : "—"}
                      </td>
                      <td class="wrap">{text(entry.detail)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager next={data.next} forward={paging.forward} back={paging.back} />
          </>
        )}
      </Show>
    </section>
  );
}
