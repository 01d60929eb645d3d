// Small pieces every page uses: loading a resource, running an action, its failure, "your role cannot do
// this", a confirmation dialog, and saving a file the API sent.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, Forbidden, Unauthorized } from "./api";
import { t } from "./i18n";

export interface Loaded<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

export interface Action {
  busy: boolean;
  problem: unknown;
  run: (work: () => Promise<unknown>) => Promise<void>;
}

/** One request at a time for a form or a button: `busy` while `work` runs, and its
 * failure in `problem` (cleared when the next one starts). */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<unknown>(null);
  const run = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setProblem(null);
    try {
      await work();
    } catch (error) {
      setProblem(error);
    } finally {
      setBusy(false);
    }
  };
  return { busy, problem, run };
}

/** Run `load` when `deps` change; its answer, its failure, and a way to run it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState((old) => ({ ...old, loading: true, error: null }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error: unknown) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { ...state, reload };
}

export function Loading() {
  return (
    <p class="muted" aria-busy="true">
      {t("loading")}
    </p>
  );
}

export function ForbiddenNote() {
  return (
    <p class="forbidden" role="alert" data-testid="forbidden">
      {t("forbidden")}
    </p>
  );
}

/** A failure as the user should read it (nothing for a 401: sign-in takes over). */
export function Failure({ error }: { error: unknown }) {
  if (error instanceof Unauthorized) return null;
  if (error instanceof Forbidden) return <ForbiddenNote />;
  const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  return (
    <p class="error" role="alert" data-testid="error">
      {t("error")}: {message}
    </p>
  );
}

/** Children once `loaded` has data; loading or the failure until then. */
export function Show<T>(props: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  const { loaded } = props;
  if (loaded.error) return <Failure error={loaded.error} />;
  if (loaded.data === null) return <Loading />;
  return <>{props.children(loaded.data)}</>;
}

/** A modal confirmation: says what will happen; the caller's fields go in the middle. */
export function Dialog(props: {
  title: string;
  testid: string;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    box.current?.querySelector<HTMLElement>("input, button")?.focus();
    const key = (event: KeyboardEvent) => event.key === "Escape" && props.onClose();
    addEventListener("keydown", key);
    return () => removeEventListener("keydown", key);
  }, []);
  return (
    <div class="backdrop">
      <div
        class="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${props.testid}-title`}
        data-testid={props.testid}
        ref={box}
      >
        <h2 id={`${props.testid}-title`}>{props.title}</h2>
        {props.children}
      </div>
    </div>
  );
}

/** Save bytes as a file the browser downloads (a blob: link, never a navigation). */
export function download(name: string, parts: BlobPart[], type = "text/csv;charset=utf-8"): void {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob(parts, { type }));
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
