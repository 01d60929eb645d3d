// A member: profile, reachability per channel, tags, notes, statistics, journeys and
// the history; for admins "Erase member" and "Merge". Everything the member or a
// platform sent is shown as text.
import { useEffect, useState } from "preact/hooks";
import type { MemberPage as Page, Note, TagAnswer } from "../api/types";
import { get, seg, send } from "../lib/api";
import { num, text, time } from "../lib/format";
import { t, word } from "../lib/i18n";
import { useMe } from "../lib/me";
import { Failure, Show, useAction, useLoad } from "../lib/ui";
import { EraseButton, MergeButton } from "./MemberAdmin";
import { History } from "./MemberHistory";
import { MemberJourneys } from "./MemberJourneys";

export function MemberPage({ id }: { id: string }) {
  const me = useMe();
  const page = useLoad(() => get<Page>(`members/${seg(id)}`), [id]);
  const [done, setDone] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  if (done) {
    return (
      <section class="card" data-testid="member-gone">
        <p role="status">{done}</p>
        <a href="#/members">{t("nav.members")}</a>
      </section>
    );
  }
  return (
    <Show loaded={page}>
      {(data) => {
        const profile = data.member.profile;
        const name = String(profile.name || profile.line_display_name || data.member.member_id);
        return (
          <article class="member" data-testid="member-page">
            <header class="title">
              <h1>{name}</h1>
              <span class="muted">{data.member.member_id}</span>
              {(me.can.erase || me.can.merge) && (
                <span class="actions">
                  {me.can.merge && (
                    <MergeButton
                      id={id}
                      onMerged={(message) => {
                        setNotice(message);
                        page.reload();
                      }}
                    />
                  )}
                  {me.can.erase && <EraseButton id={id} onErased={setDone} />}
                </span>
              )}
            </header>
            {notice && (
              <p role="status" class="notice">
                {notice}
              </p>
            )}
            <div class="grid">
              <Profile data={data} />
              <Reach data={data} />
              <Tags id={id} tags={data.member.tags} onChange={page.reload} />
              <Notes id={id} notes={data.notes} onChange={page.reload} />
              <Stats data={data} />
              <MemberJourneys journeys={data.journeys} />
            </div>
            <History id={id} first={data.history} />
          </article>
        );
      }}
    </Show>
  );
}

function Profile({ data }: { data: Page }) {
  const { member } = data;
  return (
    <section class="card" data-testid="member-profile">
      <h2>{t("member.profile")}</h2>
      <dl>
        {Object.entries(member.profile).map(([key, value]) => (
          <div key={key}>
            <dt>{key}</dt>
            <dd>{text(value)}</dd>
          </div>
        ))}
        <div>
          <dt>{t("member.created")}</dt>
          <dd>{time(member.created_at)}</dd>
        </div>
        <div>
          <dt>{t("member.updated")}</dt>
          <dd>{time(member.updated_at)}</dd>
        </div>
      </dl>
      <h3>{t("member.identifiers")}</h3>
      <dl data-testid="member-identifiers">
        {Object.entries(member.identifiers).map(([key, value]) => (
          <div key={key}>
            <dt>{key}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function Reach({ data }: { data: Page }) {
  const channels = [
    ["line", t("channel.line"), data.reachability.line],
    ["email", t("channel.email"), data.reachability.email],
    ["sms", t("channel.sms"), data.reachability.sms],
  ] as const;
  return (
    <section class="card" data-testid="member-reachability">
      <h2>{t("member.reach")}</h2>
      <dl>
        {channels.map(([key, label, reach]) => (
          <div key={key} data-testid={`reach-${key}`}>
            <dt>{label}</dt>
            <dd>
              <span class={`status ${reach.status === "ok" || reach.status === "following" ? "good" : "bad"}`}>
                {word("reach", reach.status)}
              </span>{" "}
              <small class="muted">{reach.reason}</small>
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function Tags(props: { id: string; tags: string[]; onChange: () => void }) {
  const [tags, setTags] = useState(props.tags);
  useEffect(() => setTags(props.tags), [props.tags.join("\n")]);
  const [draft, setDraft] = useState("");
  const [problem, setProblem] = useState<unknown>(null);
  const change = async (method: "POST" | "DELETE", tag: string) => {
    setProblem(null);
    try {
      const answer = await send<TagAnswer>(method, `members/${seg(props.id)}/tags/${seg(tag)}`);
      setTags(answer.tags);
      if (method === "POST") setDraft("");
      props.onChange();
    } catch (error) {
      setProblem(error);
    }
  };
  return (
    <section class="card" data-testid="member-tags">
      <h2>{t("member.tags")}</h2>
      <ul class="tags">
        {tags.map((tag) => (
          <li key={tag} class="tag">
            <span>{tag}</span>
            <button
              type="button"
              class="plain"
              aria-label={t("member.tag.remove", { tag })}
              title={t("member.tag.remove", { tag })}
              onClick={() => change("DELETE", tag)}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <form
        class="row"
        onSubmit={(event) => {
          event.preventDefault();
          if (draft.trim()) change("POST", draft.trim());
        }}
      >
        <input
          type="text"
          aria-label={t("member.tag.add")}
          placeholder={t("member.tag.add")}
          value={draft}
          onInput={(event) => setDraft((event.target as HTMLInputElement).value)}
        />
        <button type="submit">{t("member.tag.add")}</button>
      </form>
      {problem !== null && <Failure error={problem} />}
    </section>
  );
}

function Notes(props: { id: string; notes: Note[]; onChange: () => void }) {
  const [draft, setDraft] = useState("");
  const { busy, problem, run } = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!draft.trim()) return;
    await run(async () => {
      await send("POST", `members/${seg(props.id)}/notes`, {}, { text: draft });
      setDraft("");
      props.onChange();
    });
  };
  return (
    <section class="card" data-testid="member-notes">
      <h2>{t("member.notes")}</h2>
      <form onSubmit={submit}>
        <textarea
          rows={2}
          maxLength={2000}
          aria-label={t("member.note.add")}
          placeholder={t("member.note.add")}
          value={draft}
          onInput={(event) => setDraft((event.target as HTMLTextAreaElement).value)}
        />
        <button type="submit" disabled={busy}>
          {t("member.note.add")}
        </button>
      </form>
      {problem !== null && <Failure error={problem} />}
      {props.notes.length ? (
        <ul class="notes">
          {props.notes.map((note, index) => (
            <li key={`${note.time}-${index}`} data-testid="note">
              <p class="pre">{note.text}</p>
              <small class="muted">
                {note.author} · {time(note.time)}
              </small>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">{t("member.notes.empty")}</p>
      )}
    </section>
  );
}

function Stats({ data }: { data: Page }) {
  const stats = data.member.stats;
  const rows: [string, string][] = [
    [t("stat.order_count"), num(stats.order_count)],
    [t("stat.total_spent"), num(stats.total_spent)],
    [t("stat.avg_order_value"), num(stats.avg_order_value)],
    [t("stat.first_order_at"), time(stats.first_order_at)],
    [t("stat.last_order_at"), time(stats.last_order_at)],
    [t("stat.days_since_last_order"), num(stats.days_since_last_order)],
    [t("stat.favorite_sku"), stats.favorite_sku ?? "—"],
    [t("stat.favorite_category"), stats.favorite_category ?? "—"],
    [t("stat.referrals"), num(stats.referrals)],
    [t("stat.rfm"), [stats.rfm.r, stats.rfm.f, stats.rfm.m].map((v) => v ?? "—").join(" / ")],
    [t("stat.rfm_segment"), stats.rfm.segment ?? "—"],
    [t("stat.lifecycle"), stats.lifecycle ?? "—"],
  ];
  return (
    <section class="card" data-testid="member-stats">
      <h2>{t("member.stats")}</h2>
      <dl>
        {rows.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
