// A journey (its own lazily loaded chunk): the diagram, every step with its counts and,
// at a LINE step, LINE's opens and clicks; clicking a step lists who waits there; then
// this month's messages and their price on each LINE plan (another month on request),
// the funnel, holdout lift, A/B arms, revenue and a chart per day.
import { useState } from "preact/hooks";
import type { JourneyPage as Page } from "../api/types";
import { get, seg } from "../lib/api";
import { day, ntd, num, pct } from "../lib/format";
import { type Key, t } from "../lib/i18n";
import { Show, useLoad } from "../lib/ui";
import { DayChart } from "./DayChart";
import { Diagram } from "./Diagram";
import { PeriodForm, usePeriod } from "./Journeys";
import { StepMembers } from "./StepMembers";

export function JourneyPage({ id }: { id: string }) {
  const [period, setPeriod] = usePeriod();
  const [step, setStep] = useState<string | null>(null);
  const [month, setMonth] = useState("");
  const page = useLoad(
    () => get<Page>(`journeys/${seg(id)}`, { ...period, month }),
    [id, period.from, period.to, month],
  );
  return (
    <Show loaded={page}>
      {(data) => (
        <article data-testid="journey-page">
          <header class="title">
            <h1>{data.journey.name}</h1>
            <code class="muted">{data.journey.version.slice(0, 8)}</code>
          </header>
          {data.journey.description && <p>{data.journey.description}</p>}
          <p class="muted">
            {t("journeys.trigger")}: {data.journey.trigger}
            {data.journey.goals.length > 0 && ` · ${t("journey.goals")}: ${data.journey.goals.join(", ")}`}
          </p>
          <PeriodForm period={period} onChange={setPeriod} />
          <section class="card">
            <h2>{t("journey.diagram")}</h2>
            <p class="muted">
              {t("journey.waiting.hint")} {t("journey.waiting_limit", { n: data.waiting_limit })}
            </p>
            <Diagram graph={data.graph} selected={step} onSelect={setStep} />
          </section>
          {step && <StepMembers key={step} journey={id} step={step} />}
          <Month bill={data.month} chosen={month} onChange={setMonth} />
          <div class="grid">
            <Figures title={t("journey.funnel")} testid="journey-funnel" prefix="funnel" values={data.funnel} />
            <Figures title={t("journey.holdout")} testid="journey-holdout" prefix="holdout" values={data.holdout} />
            <Figures title={t("journey.revenue")} testid="journey-revenue" prefix="revenue" values={data.revenue} />
          </div>
          {data.arms.length > 0 && <Arms arms={data.arms} />}
          <section class="card" data-testid="journey-series">
            <h2>{t("journey.series")}</h2>
            <DayChart series={data.series} />
          </section>
        </article>
      )}
    </Show>
  );
}

function Figures(props: { title: string; testid: string; prefix: string; values: object }) {
  const values = Object.entries(props.values) as [string, number | null][];
  return (
    <section class="card" data-testid={props.testid}>
      <h2>{props.title}</h2>
      <dl>
        {values.map(([key, value]) => {
          const label = `${props.prefix}.${key}` as Key;
          const shown = key.endsWith("rate") || key === "lift" ? pct(value) : num(value);
          return (
            <div key={key}>
              <dt>{props.prefix === "holdout" && key === "held_out" ? t("funnel.held_out") : t(label)}</dt>
              <dd>{shown}</dd>
            </div>
          );
        })}
      </dl>
    </section>
  );
}

function Arms({ arms }: { arms: Page["arms"] }) {
  return (
    <section class="card" data-testid="journey-arms">
      <h2>{t("journey.arms")}</h2>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>{t("arm.split")}</th>
              <th>{t("arm.arm")}</th>
              <th>{t("arm.goto")}</th>
              <th class="num">{t("arm.weight")}</th>
              <th class="num">{t("funnel.entered")}</th>
              <th class="num">{t("funnel.converted")}</th>
              <th class="num">{t("funnel.conversion_rate")}</th>
              <th class="num">{t("revenue.total")}</th>
            </tr>
          </thead>
          <tbody>
            {arms.map((arm) => (
              <tr key={`${arm.split}-${arm.arm}`}>
                <td>{arm.split}</td>
                <td>{arm.arm}</td>
                <td>{arm.goto ?? "—"}</td>
                <td class="num">{num(arm.weight)}</td>
                <td class="num">{num(arm.entered)}</td>
                <td class="num">{num(arm.converted)}</td>
                <td class="num">{pct(arm.conversion_rate)}</td>
                <td class="num">{num(arm.revenue)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Month(props: { bill: Page["month"]; chosen: string; onChange: (month: string) => void }) {
  const { bill } = props;
  const figures: [Key, string][] = [
    ["month.line_billed", num(bill.line_billed)],
    ["month.line_free", num(bill.line_free)],
    ["month.email", num(bill.email)],
    ["month.sms", `${num(bill.sms)} (${num(bill.sms_segments)})`],
  ];
  return (
    <section class="card" data-testid="journey-month">
      <header class="title">
        <h2>{props.chosen ? t("month.of", { month: bill.month }) : t("month.this")}</h2>
        <label class="inline">
          {t("month.pick")}
          <input
            type="month"
            value={bill.month}
            onChange={(event) => {
              const value = (event.target as HTMLInputElement).value;
              if (/^\d{4}-\d{2}$/.test(value)) props.onChange(value);
            }}
          />
        </label>
      </header>
      <dl>
        {figures.map(([key, value]) => (
          <div key={key}>
            <dt>{t(key)}</dt>
            <dd data-testid={key.replace(".", "-")}>{value}</dd>
          </div>
        ))}
      </dl>
      <div class="scroll">
        <table data-testid="journey-plans">
          <thead>
            <tr>
              <th>{t("month.plan")}</th>
              <th class="num">{t("month.price")}</th>
              <th class="num">{t("month.over")}</th>
            </tr>
          </thead>
          <tbody>
            {bill.plans.map((plan) => (
              <tr key={plan.plan}>
                <td>{plan.name}</td>
                <td class="num">{plan.fits ? ntd(plan.ntd) : t("month.no_fit")}</td>
                <td class="num">{num(plan.over_allowance)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="muted">
        <small>{t("month.prices", { date: day(bill.prices_as_of) })}</small>
      </p>
    </section>
  );
}
