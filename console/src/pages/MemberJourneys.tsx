// The member's journeys: where they are now (step, waiting until when or for what) and
// the journeys they have left, and how.
import type { Journeys } from "../api/types";
import { time } from "../lib/format";
import { t, word } from "../lib/i18n";
import { useMe } from "../lib/me";
import { href } from "../lib/router";

function JourneyName({ id }: { id: string }) {
  const me = useMe();
  return me.can.journeys ? <a href={href("journeys", id)}>{id}</a> : <>{id}</>;
}

export function MemberJourneys({ journeys }: { journeys: Journeys }) {
  const none = !journeys.current.length && !journeys.past.length;
  return (
    <section class="card wide" data-testid="member-journeys">
      <h2>{t("member.journeys")}</h2>
      {none && <p class="muted">{t("member.journeys.none")}</p>}
      {journeys.current.length > 0 && (
        <>
          <h3>{t("member.journeys.current")}</h3>
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th>{t("nav.journeys")}</th>
                  <th>{t("enrol.step")}</th>
                  <th>{t("enrol.until")}</th>
                  <th>{t("enrol.for")}</th>
                  <th>{t("enrol.entered")}</th>
                  <th>{t("enrol.version")}</th>
                </tr>
              </thead>
              <tbody>
                {journeys.current.map((row) => (
                  <tr key={row.enrolment_id} data-testid="journey-current">
                    <td>
                      <JourneyName id={row.journey} />
                    </td>
                    <td>{row.step ?? "—"}</td>
                    <td>{time(row.waiting_until)}</td>
                    <td>{row.waiting_for ?? "—"}</td>
                    <td>{time(row.entered_at)}</td>
                    <td>
                      <code>{row.version.slice(0, 8)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {journeys.past.length > 0 && (
        <>
          <h3>{t("member.journeys.past")}</h3>
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th>{t("nav.journeys")}</th>
                  <th>{t("enrol.how")}</th>
                  <th>{t("enrol.entered")}</th>
                  <th>{t("enrol.ended")}</th>
                  <th>{t("enrol.version")}</th>
                </tr>
              </thead>
              <tbody>
                {journeys.past.map((row) => (
                  <tr key={row.enrolment_id} data-testid="journey-past">
                    <td>
                      <JourneyName id={row.journey} />
                    </td>
                    <td>
                      {word("how", row.how)}
                      {row.reason && <small class="muted"> {row.reason}</small>}
                    </td>
                    <td>{time(row.entered_at)}</td>
                    <td>{time(row.ended_at)}</td>
                    <td>
                      <code>{row.version.slice(0, 8)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
