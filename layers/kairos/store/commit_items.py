"""One engine outcome as the parts of one DynamoDB transaction (the engine store's
write path, kept apart from its reads): the enrolment with its version check, the
consumed timer's Delete, new due timers and their month directory, segment membership,
step counters in one shard of the journey's counters (ADD, with conversion
revenue and the per-hour series), timeline entries. Key patterns: keys.py and
docs/data-model.md."""

from __future__ import annotations

import secrets
from datetime import UTC, timedelta
from typing import Any

from kairos.clock import utc
from kairos.engine.enrolment import Enrolment
from kairos.store import keys
from kairos.store.codec import to_attr, to_item
from kairos.store.records import Commit, SegmentMember, StepCounter, TimelineEntry, Timer
from kairos.store.timeline import timeline_item
from kairos.store.timers import DueIndex

TIMER_REF_KEPT = timedelta(days=7)


class CommitItems:
    def __init__(self, table: str, due: DueIndex, timeline_ttl_days: int) -> None:
        self.table = table
        self.due = due
        self.timeline_ttl_days = timeline_ttl_days

    def items(self, change: Commit) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        if change.enrolment is not None:
            items.append(self._put_enrolment(change.enrolment, change.expected_version))
        if change.consumed is not None:
            items.append(self.due.delete_request(change.consumed))
        buckets: set[str] = set()
        seen_timers: set[tuple[str, str]] = set()
        consumed = (change.consumed.pk, change.consumed.sk) if change.consumed else None
        for timer in change.timers:
            where = self.due.locate(timer)
            key = (where.pk, where.sk)
            if key in seen_timers or key == consumed:
                continue
            seen_timers.add(key)
            items.append(self.due.put_request(timer))
            if timer.referenced and timer.member_id is not None:
                items.append(self._timer_ref(timer, timer.member_id))
            buckets.add(where.pk.split("#")[1])
        items.extend(self.due.directory_requests(buckets))
        for membership, inside in change.segments.items():
            items.append(self._segment_member(membership, inside))
        # Each outcome picks its shard (the enrolment and the version it writes), so a
        # journey's counter writes spread evenly even when few enrolments are busy; an
        # outcome that counts without writing its enrolment picks any shard.
        enrolment = change.enrolment
        shard = (
            keys.stats_shard(f"{enrolment.id}#{enrolment.version}")
            if enrolment is not None
            else secrets.randbelow(keys.STATS_SHARDS)
        )
        grouped: dict[tuple[str, str], dict[str, float]] = {}
        for counter, amount in change.counters.items():
            names_of = grouped.setdefault((counter.journey, counter.step), {})
            names_of[counter.name] = names_of.get(counter.name, 0) + amount
        _add_revenue(grouped, change)
        keyed = [(journey, keys.step_sk(step), names) for (journey, step), names in grouped.items()]
        if change.enrolment is not None and change.enrolment.updated_at is not None:
            # The journey's own counters again under the hour they happened in, for the
            # per-day series of `kairos stats --from/--to`: one more item per outcome
            # that enters, converts or ends an enrolment.
            hour = change.enrolment.updated_at.astimezone(UTC).strftime("%Y-%m-%dT%H")
            keyed.extend(
                (journey, keys.stats_hour_sk(hour), names)
                for (journey, step), names in grouped.items()
                if step == "-"
            )
        for journey, sk, names in keyed:
            ordered = sorted(names)
            items.append(
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": {
                            "pk": to_attr(keys.stats_pk(journey, shard)),
                            "sk": to_attr(sk),
                        },
                        "UpdateExpression": "ADD "
                        + ", ".join(f"#n{i} :v{i}" for i in range(len(ordered))),
                        "ExpressionAttributeNames": {f"#n{i}": n for i, n in enumerate(ordered)},
                        "ExpressionAttributeValues": {
                            f":v{i}": to_attr(names[n]) for i, n in enumerate(ordered)
                        },
                    }
                }
            )
        items.extend(self._timeline_entry(entry) for entry in change.timeline)
        return items

    def _timer_ref(self, timer: Timer, member_id: str) -> dict[str, Any]:
        """The member's note of a date or segment timer (erasure cancels it by key);
        it expires a week after the timer is due, by then fired and gone."""
        item = {
            "pk": keys.member_pk(member_id),
            "sk": keys.timer_ref_sk(timer.timer_id),
            "timer_id": timer.timer_id,
            "due_at": utc(timer.due_at).isoformat(),
            "kind": timer.kind,
            "expires_at": int((utc(timer.due_at) + TIMER_REF_KEPT).timestamp()),
        }
        return {"Put": {"TableName": self.table, "Item": to_item(item)}}

    def _segment_member(self, membership: SegmentMember, inside: bool) -> dict[str, Any]:
        key = {
            "pk": to_attr(keys.segment_pk(membership.segment_id)),
            "sk": to_attr(keys.member_pk(membership.member_id)),
        }
        if not inside:
            return {"Delete": {"TableName": self.table, "Key": key}}
        item = {**key, "member_id": to_attr(membership.member_id)}
        return {"Put": {"TableName": self.table, "Item": item}}

    def _timeline_entry(self, entry: TimelineEntry) -> dict[str, Any]:
        item = timeline_item(
            entry.member_id, entry.time, entry.entry_id, entry.kind, entry.data,
            self.timeline_ttl_days,
        )  # fmt: skip
        return {"Put": {"TableName": self.table, "Item": item}}

    def _put_enrolment(self, enrolment: Enrolment, expected: int | None) -> dict[str, Any]:
        values: dict[str, Any] = {
            "pk": keys.member_pk(enrolment.member_id),
            "sk": keys.enrolment_sk(enrolment.journey, enrolment.id),
            "enrolment": enrolment.model_dump(mode="json"),
            "version": enrolment.version,
            "state": enrolment.state,
        }
        if enrolment.live:
            # Only live enrolments are in the journey's index: `journeys show` lists who
            # is waiting where without reading the finished ones. Finished enrolments are
            # kept (no TTL): `reentry: never`, cooldowns and max_entries read them.
            values["gsi1pk"] = keys.journey_pk(enrolment.journey)
            values["gsi1sk"] = f"{enrolment.step or '-'}#{enrolment.member_id}"
        put: dict[str, Any] = {"TableName": self.table, "Item": to_item(values)}
        if expected is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = {":v": to_attr(expected)}
        return {"Put": put}


def _add_revenue(grouped: dict[tuple[str, str], dict[str, float]], change: Commit) -> None:
    """The order total of a conversion, added with the `converted` counter it comes with
    (the engine puts it on the enrolment): the journey's `revenue` (`revenue_holdout`
    for the control group) and each split arm's `revenue-arm-<n>`."""
    enrolment = change.enrolment
    if enrolment is None or not enrolment.revenue:
        return
    journey = enrolment.journey
    if not change.counters.get(StepCounter(journey, "-", "converted")):
        return  # not the outcome that converted it
    name = "revenue_holdout" if enrolment.holdout else "revenue"
    overall = grouped.setdefault((journey, "-"), {})
    overall[name] = overall.get(name, 0) + enrolment.revenue
    for split_step, arm in enrolment.arms.items():
        per_arm = grouped.setdefault((journey, split_step), {})
        per_arm[f"revenue-arm-{arm}"] = per_arm.get(f"revenue-arm-{arm}", 0) + enrolment.revenue
