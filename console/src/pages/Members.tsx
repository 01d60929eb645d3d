// Members: one search box for any identifier or the start of a name, filters (tag,
// segment, lifecycle, RFM), a paged list, "Export" of the current list and "Import".
import { useEffect, useState } from "preact/hooks";
import type { SegmentList } from "../api/types";
import type { MemberList } from "../api/types";
import { get } from "../lib/api";
import { exportMembers } from "../lib/export";
import { useHashQuery } from "../lib/hashquery";
import { t } from "../lib/i18n";
import { useMe } from "../lib/me";
import { href } from "../lib/router";
import { Failure, Show, useLoad } from "../lib/ui";
import { MemberTable, Pager, useCursor } from "./MemberTable";

const FILTERS = ["tag", "segment", "lifecycle", "rfm"] as const;
const RFM = ["champions", "loyal", "new", "promising", "at_risk", "hibernating", "lost"];

export function MembersPage() {
  const me = useMe();
  const [query, setQuery] = useHashQuery();
  const [draft, setDraft] = useState<Record<string, string>>(query);
  const paging = useCursor();
  const key = JSON.stringify(query);
  useEffect(() => {
    setDraft(query);
    paging.reset();
  }, [key]);
  const list = useLoad(
    () => get<MemberList>("members", { ...query, limit: 25, cursor: paging.cursor }),
    [key, paging.cursor],
  );
  const [exporting, setExporting] = useState<string | null>(null);
  const [problem, setProblem] = useState<unknown>(null);

  const field = (name: string) => ({
    value: draft[name] ?? "",
    onInput: (event: Event) => setDraft({ ...draft, [name]: (event.target as HTMLInputElement).value }),
  });
  const submit = (event: Event) => {
    event.preventDefault();
    setQuery(draft);
  };
  const runExport = async () => {
    setProblem(null);
    try {
      const filters = Object.fromEntries(Object.entries(query).filter(([, v]) => v));
      await exportMembers(filters, "members.csv", (rows) => setExporting(t("members.exporting", { rows })));
    } catch (error) {
      setProblem(error);
    } finally {
      setExporting(null);
    }
  };

  return (
    <section data-testid="members-page">
      <form class="search" role="search" onSubmit={submit}>
        <label class="grow">
          {t("members.search")}
          <input
            type="search"
            name="q"
            aria-label={t("members.search")}
            placeholder={t("members.search.hint")}
            data-testid="member-search"
            autoFocus
            {...field("q")}
          />
        </label>
        <button type="submit">{t("members.find")}</button>
      </form>
      <details class="filters" open={FILTERS.some((name) => query[name])}>
        <summary>{t("members.filter")}</summary>
        <form class="row" onSubmit={submit} data-testid="member-filters">
          <label>
            {t("members.tag")}
            <input type="text" {...field("tag")} />
          </label>
          <label>
            {t("members.segment")}
            <input type="text" list="segment-ids" {...field("segment")} />
            {me.can.journeys && <SegmentChoices />}
          </label>
          <label>
            {t("members.lifecycle")}
            <input type="text" {...field("lifecycle")} />
          </label>
          <label>
            {t("members.rfm")}
            <input type="text" list="rfm-segments" {...field("rfm")} />
            <datalist id="rfm-segments">
              {RFM.map((name) => (
                <option key={name} value={name} />
              ))}
            </datalist>
          </label>
          <button type="submit">{t("members.filter")}</button>
          <button type="button" class="plain" onClick={() => setQuery({})}>
            {t("members.clear")}
          </button>
        </form>
      </details>
      <p class="actions">
        {me.can.export && (
          <button type="button" onClick={runExport} disabled={exporting !== null}>
            {t("members.export")}
          </button>
        )}
        {me.can.import && <a href={href("import")}>{t("members.import")}</a>}
        {exporting && <span class="muted"> {exporting}</span>}
      </p>
      {problem !== null && <Failure error={problem} />}
      <Show loaded={list}>
        {(data) => (
          <>
            <MemberTable rows={data.items} testid="member-list" />
            <Pager next={data.next} forward={paging.forward} back={paging.back} />
          </>
        )}
      </Show>
    </section>
  );
}

/** The project's segments as suggestions (only roles that may list segments). */
function SegmentChoices() {
  const segments = useLoad(() => get<SegmentList>("segments"), []);
  return (
    <datalist id="segment-ids">
      {(segments.data?.items ?? []).map((row) => (
        <option key={row.id} value={row.id}>
          {row.name}
        </option>
      ))}
    </datalist>
  );
}
