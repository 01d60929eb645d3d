// The console's words: Traditional Chinese by default, English when the browser asks for
// it (navigator.language "en…") or the switch in the header says so. The English labels
// are the ones the browser tests and the docs use ("Search members", "Add tag", …).

import { en, type Key } from "./words-en";
import { zh } from "./words-zh";

export type { Key };
export type Lang = "zh-TW" | "en";

const STORED = "kairos.lang";

function initial(): Lang {
  const chosen = localStorage.getItem(STORED);
  if (chosen === "en" || chosen === "zh-TW") return chosen;
  return navigator.language.toLowerCase().startsWith("en") ? "en" : "zh-TW";
}

export let lang: Lang = initial();

/** Use `next`; `keep` remembers the choice for the next visit (the header's switch). */
export function setLang(next: Lang, keep = true): void {
  lang = next;
  if (keep) localStorage.setItem(STORED, next);
  document.documentElement.lang = next === "en" ? "en" : "zh-Hant-TW";
}

/** The word for a value the API sends (`reach.blocked`), or the value itself. */
export function word(prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return key in en ? t(key as Key) : value;
}

/** The word for `key` in the current language, `{name}` filled from `values`. */
export function t(key: Key, values: Record<string, string | number> = {}): string {
  const text = (lang === "en" ? en : zh)[key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ""));
}
