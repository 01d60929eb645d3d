// Admins' "Erase member" and "Merge": each behind a dialog that says what will happen
// and asks for the request reference (the deletion request's or the support ticket's).
import { useState } from "preact/hooks";
import type { EraseAnswer, MergeAnswer } from "../api/types";
import { seg, send } from "../lib/api";
import { t } from "../lib/i18n";
import { Dialog, Failure, useAction } from "../lib/ui";

function RequestField(props: { value: string; onInput: (value: string) => void }) {
  return (
    <label>
      {t("dialog.request")}
      <input
        type="text"
        required
        maxLength={100}
        value={props.value}
        onInput={(event) => props.onInput((event.target as HTMLInputElement).value)}
        data-testid="request-reference"
      />
    </label>
  );
}

export function EraseButton(props: { id: string; onErased: (message: string) => void }) {
  const [open, setOpen] = useState(false);
  const [reference, setReference] = useState("");
  const { busy, problem, run } = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    await run(async () => {
      const answer = await send<EraseAnswer>("DELETE", `members/${seg(props.id)}`, {
        request: reference.trim(),
      });
      setOpen(false);
      props.onErased(
        t("member.erased", { items: answer.items_removed, timers: answer.timers_cancelled }),
      );
    });
  };
  return (
    <>
      <button type="button" class="danger" onClick={() => setOpen(true)}>
        {t("member.erase")}
      </button>
      {open && (
        <Dialog title={t("erase.title")} testid="erase-dialog" onClose={() => setOpen(false)}>
          <form onSubmit={submit}>
            <p>{t("erase.what")}</p>
            <RequestField value={reference} onInput={setReference} />
            {problem !== null && <Failure error={problem} />}
            <p class="actions">
              <button type="submit" class="danger" disabled={busy || !reference.trim()}>
                {t("member.erase")}
              </button>
              <button type="button" class="plain" onClick={() => setOpen(false)}>
                {t("cancel")}
              </button>
            </p>
          </form>
        </Dialog>
      )}
    </>
  );
}

export function MergeButton(props: { id: string; onMerged: (message: string) => void }) {
  const [open, setOpen] = useState(false);
  const [absorb, setAbsorb] = useState("");
  const [reference, setReference] = useState("");
  const { busy, problem, run } = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    await run(async () => {
      const answer = await send<MergeAnswer>(
        "POST",
        `members/${seg(props.id)}/merge/${seg(absorb.trim())}`,
        { request: reference.trim() },
      );
      setOpen(false);
      props.onMerged(t("member.merged", { entries: answer.entries_moved }));
    });
  };
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        {t("member.merge")}
      </button>
      {open && (
        <Dialog title={t("merge.title")} testid="merge-dialog" onClose={() => setOpen(false)}>
          <form onSubmit={submit}>
            <p>{t("merge.what")}</p>
            <label>
              {t("merge.absorb")}
              <input
                type="text"
                required
                value={absorb}
                onInput={(event) => setAbsorb((event.target as HTMLInputElement).value)}
                data-testid="merge-absorb"
              />
            </label>
            <RequestField value={reference} onInput={setReference} />
            {problem !== null && <Failure error={problem} />}
            <p class="actions">
              <button
                type="submit"
                class="danger"
                disabled={busy || !absorb.trim() || !reference.trim()}
              >
                {t("member.merge")}
              </button>
              <button type="button" class="plain" onClick={() => setOpen(false)}>
                {t("cancel")}
              </button>
            </p>
          </form>
        </Dialog>
      )}
    </>
  );
}
