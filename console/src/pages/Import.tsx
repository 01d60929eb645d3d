// Import members from a CSV: pick the file, check the column mapping, preview the first
// rows with their problems, then send the file in chunks of whole records (≤ 1 MB) with a
// progress bar, and download the rows that were set aside.
import { useState } from "preact/hooks";
import type { ChunkResult, ImportPreview, ImportStarted } from "../api/types";
import { request, send } from "../lib/api";
import { head, pieces } from "../lib/chunks";
import { t } from "../lib/i18n";
import { useMe } from "../lib/me";
import { download, Failure, ForbiddenNote, useAction } from "../lib/ui";
import { Mapping, PreviewRows, Problems } from "./ImportPreview";

type Mapped = Record<string, string | null>;

// The page keeps "file column → field"; the API names a mapping "field → file column",
// as `kairos members import --map` reads it.
function fromApi(preview: ImportPreview): Mapped {
  return Object.fromEntries(Object.entries(preview.mapping).map(([field, column]) => [column, field]));
}

function toApi(mapping: Mapped): Record<string, string> {
  return Object.fromEntries(
    Object.entries(mapping)
      .filter(([, field]) => field)
      .map(([column, field]) => [field as string, column]),
  );
}

async function preview(file: File, mapping?: Mapped): Promise<ImportPreview> {
  const pairs = Object.entries(toApi(mapping ?? {})).map(([field, column]) => `${field}=${column}`);
  const query = mapping ? { mapping: pairs.join(",") } : {};
  const bytes = await head(file);
  const answer = await request("POST", "imports/preview", query, bytes as BlobPart as BodyInit, "text/csv");
  return (await answer.json()) as ImportPreview;
}

interface Progress {
  done: number;
  total: number;
  sent: number;
  applied: number;
  rejected: number;
  finished: boolean;
}

export function ImportPage() {
  const me = useMe();
  return me.can.import ? <Importer /> : <ForbiddenNote />;
}

function Importer() {
  const [file, setFile] = useState<File | null>(null);
  const [first, setFirst] = useState<ImportPreview | null>(null);
  const [mapping, setMapping] = useState<Mapped>({});
  const [checked, setChecked] = useState<ImportPreview | null>(null);
  const [importId, setImportId] = useState<string | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const { busy, problem, run } = useAction();

  const pick = (event: Event) => {
    const chosen = (event.target as HTMLInputElement).files?.[0] ?? null;
    setFile(chosen);
    setFirst(null);
    setChecked(null);
    setImportId(null);
    setProgress(null);
    if (chosen)
      run(async () => {
        const found = await preview(chosen);
        setFirst(found);
        setMapping(fromApi(found));
      });
  };

  const check = () => run(async () => setChecked(await preview(file as File, mapping)));

  const start = () =>
    run(async () => {
      const chosen = file as File;
      const parts = await pieces(chosen);
      const started = await send<ImportStarted>("POST", "imports", {}, {
        mapping: toApi(mapping),
        encoding: (checked ?? first)?.encoding,
        filename: chosen.name,
        size: chosen.size,
      });
      setImportId(started.import_id);
      const state: Progress = { done: 0, total: parts.length, sent: 0, applied: 0, rejected: 0, finished: false };
      setProgress({ ...state });
      for (const [index, part] of parts.entries()) {
        const bytes = await chosen.slice(part.start, part.end).arrayBuffer();
        const answer = await chunk(started.import_id, index, bytes);
        state.done = index + 1;
        state.sent = part.end;
        state.applied += answer.applied;
        state.rejected += answer.rejected;
        setProgress({ ...state });
      }
      setProgress({ ...state, finished: true });
    });

  const rejects = () =>
    run(async () => {
      const answer = await request("GET", `imports/${encodeURIComponent(importId as string)}/rejects`);
      const name = (file?.name ?? "import").replace(/\.csv$/i, "");
      download(`${name}-rejects.csv`, [await answer.arrayBuffer()]);
    });

  return (
    <section data-testid="import-page">
      <h1>{t("import.title")}</h1>
      <label>
        {t("import.file")}
        <input type="file" accept=".csv,text/csv" onChange={pick} disabled={busy && !!progress} data-testid="import-file" />
      </label>
      {first && (
        <>
          <p>
            {t("import.encoding")}: <strong data-testid="import-encoding">{first.encoding}</strong>
          </p>
          <Mapping preview={first} mapping={mapping} onChange={setMapping} />
          <p class="actions">
            <button type="button" onClick={check} disabled={busy || !!progress}>
              {t("import.preview")}
            </button>
          </p>
        </>
      )}
      {checked && (
        <>
          <PreviewRows preview={checked} />
          <Problems preview={checked} />
          {!progress && (
            <p class="actions">
              <button type="button" onClick={start} disabled={busy}>
                {t("import.start")}
              </button>
            </p>
          )}
        </>
      )}
      {progress && (
        <section class="card" data-testid="import-progress">
          <progress max={file?.size ?? 1} value={progress.sent} />
          <p role="status">
            {progress.finished
              ? t("import.done", { applied: progress.applied, rejected: progress.rejected })
              : t("import.progress", {
                  done: progress.done,
                  total: progress.total,
                  applied: progress.applied,
                  rejected: progress.rejected,
                })}
          </p>
          {progress.finished && progress.rejected > 0 && (
            <button type="button" onClick={rejects} disabled={busy} data-testid="import-rejects">
              {t("import.rejects")}
            </button>
          )}
        </section>
      )}
      {problem !== null && <Failure error={problem} />}
    </section>
  );
}

/** One chunk, tried again once if the network failed (the API applies a chunk once). */
async function chunk(id: string, index: number, bytes: ArrayBuffer): Promise<ChunkResult> {
  const path = `imports/${encodeURIComponent(id)}/chunks/${index}`;
  try {
    return (await (await request("POST", path, {}, bytes, "text/csv")).json()) as ChunkResult;
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return (await (await request("POST", path, {}, bytes, "text/csv")).json()) as ChunkResult;
  }
}
