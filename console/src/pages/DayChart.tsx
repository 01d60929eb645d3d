// Entered (bars) and converted (a line) per day, as a small inline SVG, with the
// figures in a table under it for reading and for screen readers.
import type { JourneyPage } from "../api/types";
import { num } from "../lib/format";
import { t } from "../lib/i18n";

const W = 640;
const H = 160;
const PAD = 24;

export function DayChart({ series }: { series: JourneyPage["series"] }) {
  if (!series.length) return <p class="muted">{t("member.history.empty")}</p>;
  const top = Math.max(1, ...series.map((row) => Math.max(row.entered, row.converted)));
  const step = (W - PAD * 2) / series.length;
  const y = (value: number) => H - PAD - (value / top) * (H - PAD * 2);
  const line = series
    .map((row, index) => `${index ? "L" : "M"}${PAD + step * (index + 0.5)},${y(row.converted)}`)
    .join(" ");
  return (
    <>
      <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t("journey.series")}>
        <line x1={PAD} y1={H - PAD} x2={W - PAD} y2={H - PAD} class="axis" />
        <text x={PAD} y={PAD - 8} class="label">
          {num(top)}
        </text>
        {series.map((row, index) => (
          <rect
            key={row.day}
            class="bar"
            x={PAD + step * index + step * 0.15}
            y={y(row.entered)}
            width={Math.max(1, step * 0.7)}
            height={H - PAD - y(row.entered)}
          >
            <title>
              {row.day}: {t("count.entered")} {row.entered}, {t("count.converted")} {row.converted}
            </title>
          </rect>
        ))}
        <path d={line} class="line" />
        <text x={PAD} y={H - 6} class="label">
          {series[0].day}
        </text>
        <text x={W - PAD} y={H - 6} class="label end">
          {series[series.length - 1].day}
        </text>
      </svg>
      <p class="legend">
        <span class="swatch bar" /> {t("count.entered")} <span class="swatch line" /> {t("count.converted")}
      </p>
      <details>
        <summary>{t("journey.series")}</summary>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>{t("series.day")}</th>
                <th class="num">{t("funnel.entered")}</th>
                <th class="num">{t("funnel.converted")}</th>
                <th class="num">{t("series.revenue")}</th>
              </tr>
            </thead>
            <tbody>
              {series.map((row) => (
                <tr key={row.day}>
                  <td>{row.day}</td>
                  <td class="num">{num(row.entered)}</td>
                  <td class="num">{num(row.converted)}</td>
                  <td class="num">{num(row.revenue)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}
