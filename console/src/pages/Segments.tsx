// Segments with their sizes; a segment's members (paged) and "Export" of them as CSV.
import type { SegmentList, SegmentPage as Page } from "../api/types";
import { get, seg } from "../lib/api";
import { exportMembers } from "../lib/export";
import { num } from "../lib/format";
import { t } from "../lib/i18n";
import { useMe } from "../lib/me";
import { href } from "../lib/router";
import { Failure, Show, useAction, useLoad } from "../lib/ui";
import { MemberTable, Pager, useCursor } from "./MemberTable";

function size(value: number, exact: boolean): string {
  return exact ? num(value) : `${num(value)}+`;
}

export function SegmentsPage() {
  const list = useLoad(() => get<SegmentList>("segments"), []);
  return (
    <section data-testid="segments-page">
      <h1>{t("nav.segments")}</h1>
      <Show loaded={list}>
        {(data) => (
          <div class="scroll">
            <table data-testid="segment-list">
              <thead>
                <tr>
                  <th>{t("col.name")}</th>
                  <th>{t("segments.where")}</th>
                  <th class="num">{t("segments.size")}</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((row) => (
                  <tr key={row.id} data-testid="segment-row">
                    <td>
                      <a href={href("segments", row.id)}>{row.name || row.id}</a>
                      {row.description && <small class="muted"> {row.description}</small>}
                    </td>
                    <td>{row.where}</td>
                    <td class="num">{size(row.size, row.size_exact)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Show>
    </section>
  );
}

export function SegmentPage({ id }: { id: string }) {
  const me = useMe();
  const paging = useCursor();
  const page = useLoad(() => get<Page>(`segments/${seg(id)}`, { cursor: paging.cursor }), [id, paging.cursor]);
  const { busy, problem, run } = useAction();
  const runExport = () => run(() => exportMembers({ segment: id }, `segment-${id}.csv`));
  return (
    <Show loaded={page}>
      {(data) => (
        <section data-testid="segment-page">
          <header class="title">
            <h1>{data.segment.name || data.segment.id}</h1>
            <span class="muted">
              {t("segments.size")}: {size(data.size, data.size_exact)}
            </span>
            {me.can.export && (
              <button type="button" onClick={runExport} disabled={busy}>
                {t("members.export")}
              </button>
            )}
          </header>
          {data.segment.description && <p>{data.segment.description}</p>}
          <p class="muted">{data.segment.where}</p>
          {problem !== null && <Failure error={problem} />}
          <h2>{t("segment.members")}</h2>
          <MemberTable rows={data.items} testid="segment-members" />
          <Pager next={data.next} forward={paging.forward} back={paging.back} />
        </section>
      )}
    </Show>
  );
}
