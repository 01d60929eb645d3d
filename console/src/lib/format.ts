// Times, numbers and values for display: every time in the brand's time zone (GET me →
// brand.zone), in the console's language. Values members or platforms sent become plain
// strings here; the pages put them in text nodes.
import { lang } from "./i18n";

let zone = "Asia/Taipei";

export function setZone(next: string): void {
  zone = next;
}

export function brandZone(): string {
  return zone;
}

function locale(): string {
  // English with year-month-day dates, as the brand's staff read them.
  return lang === "en" ? "en-CA" : "zh-TW";
}

/** A moment (ISO 8601 with offset) as the brand's local date and time. */
export function time(iso: string | null | undefined): string {
  if (!iso) return "—";
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(at);
}

/** A calendar day (`2026-12-07`) or a moment, as the brand's date. */
export function day(value: string | null | undefined): string {
  if (!value) return "—";
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) return value;
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone, dateStyle: "short" }).format(at);
}

/** Today in the brand's zone, `days` from now (`YYYY-MM-DD`). */
export function today(days = 0): string {
  const at = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone, dateStyle: "short" }).format(at);
}

export function num(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(value);
}

/** New Taiwan dollars (a LINE plan's month): `NT$1,220`. */
export function ntd(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return `NT$${num(value)}`;
}

export function pct(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 1 }).format(
    value,
  );
}

const MOMENT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Any JSON value as one line of text (arrays joined, objects as `key: value`); a
 * moment (ISO 8601 with its offset, as `joined_at`) in the brand's zone like every time. */
export function text(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string" && MOMENT.test(value)) return time(value);
  if (Array.isArray(value)) return value.map(text).join(", ");
  if (typeof value === "object") {
    return Object.entries(value as Record<string, unknown>)
      .map(([key, inner]) => `${key}: ${text(inner)}`)
      .join(" · ");
  }
  return String(value);
}
