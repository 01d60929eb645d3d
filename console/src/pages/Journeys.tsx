// Journeys: each with its trigger and version, and how many entered, are active and
// converted over the chosen period (brand days, ?from=&to=).
import { useState } from "preact/hooks";
import type { JourneyList } from "../api/types";
import { get } from "../lib/api";
import { num, today } from "../lib/format";
import { t } from "../lib/i18n";
import { href } from "../lib/router";
import { Show, useLoad } from "../lib/ui";

export function usePeriod(): [{ from: string; to: string }, (next: { from: string; to: string }) => void] {
  const [period, setPeriod] = useState(() => ({ from: today(-29), to: today() }));
  return [period, setPeriod];
}

export function PeriodForm(props: { period: { from: string; to: string }; onChange: (p: { from: string; to: string }) => void }) {
  const [draft, setDraft] = useState(props.period);
  return (
    <form
      class="row"
      data-testid="period"
      onSubmit={(event) => {
        event.preventDefault();
        props.onChange(draft);
      }}
    >
      <label>
        {t("journeys.from")}
        <input type="date" value={draft.from} onInput={(e) => setDraft({ ...draft, from: (e.target as HTMLInputElement).value })} />
      </label>
      <label>
        {t("journeys.to")}
        <input type="date" value={draft.to} onInput={(e) => setDraft({ ...draft, to: (e.target as HTMLInputElement).value })} />
      </label>
      <button type="submit">{t("journeys.show")}</button>
    </form>
  );
}

export function JourneysPage() {
  const [period, setPeriod] = usePeriod();
  const list = useLoad(() => get<JourneyList>("journeys", period), [period.from, period.to]);
  return (
    <section data-testid="journeys-page">
      <h1>{t("nav.journeys")}</h1>
      <PeriodForm period={period} onChange={setPeriod} />
      <Show loaded={list}>
        {(data) => (
          <div class="scroll">
            <table data-testid="journey-list">
              <thead>
                <tr>
                  <th>{t("col.name")}</th>
                  <th>{t("journeys.trigger")}</th>
                  <th>{t("journeys.version")}</th>
                  <th class="num">{t("journeys.entered")}</th>
                  <th class="num">{t("journeys.active")}</th>
                  <th class="num">{t("journeys.converted")}</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((row) => (
                  <tr key={row.id} data-testid="journey-row">
                    <td>
                      <a href={href("journeys", row.id)}>{row.name || row.id}</a>
                    </td>
                    <td>{row.trigger}</td>
                    <td>
                      <code>{row.version.slice(0, 8)}</code>
                    </td>
                    <td class="num">{num(row.entered)}</td>
                    <td class="num">{num(row.active)}</td>
                    <td class="num">{num(row.converted)}</td>
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
