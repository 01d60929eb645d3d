// Who is at a step of a journey now, paged, each linking to their page.
import { useState } from "preact/hooks";
import type { StepMember, StepMembers as Page } from "../api/types";
import { get, seg } from "../lib/api";
import { time } from "../lib/format";
import { t } from "../lib/i18n";
import { href } from "../lib/router";
import { Failure, Loading } from "../lib/ui";
import { useEffect } from "preact/hooks";

export function StepMembers(props: { journey: string; step: string }) {
  const [items, setItems] = useState<StepMember[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [busy, setBusy] = useState(true);
  const [problem, setProblem] = useState<unknown>(null);
  const load = async (cursor: string | null) => {
    setBusy(true);
    try {
      const page = await get<Page>(
        `journeys/${seg(props.journey)}/steps/${seg(props.step)}/members`,
        { cursor },
      );
      setItems(cursor ? [...items, ...page.items] : page.items);
      setNext(page.next);
    } catch (error) {
      setProblem(error);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    load(null);
  }, []);
  return (
    <section class="card" data-testid="step-members">
      <h2>{t("journey.waiting", { step: props.step })}</h2>
      {problem !== null && <Failure error={problem} />}
      {busy && !items.length ? (
        <Loading />
      ) : items.length ? (
        <ul class="plain-list">
          {items.map((member) => (
            <li key={member.member_id} data-testid="step-member">
              <a href={href("members", member.member_id)}>{member.name || member.member_id}</a>{" "}
              <small class="muted">
                {member.state}
                {member.waiting_for && ` · ${member.waiting_for}`}
                {member.waiting_until && ` · ${t("enrol.until")} ${time(member.waiting_until)}`}
                {member.holdout && " · holdout"}
              </small>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">{t("members.empty")}</p>
      )}
      {next && (
        <button type="button" disabled={busy} onClick={() => load(next)}>
          {t("more")}
        </button>
      )}
    </section>
  );
}
