"""Website visitors in DynamoDB: the collect route's reads and its one transaction per
request (I/O only; kairos.collect.visits decides).

Access patterns (keys.py, docs/data-model.md):
- the visitor: BatchGetItem on `ALIAS#visitor#<anonymous id>` and the visitor's own
  profile `MEMBER#<v-id>` / `PROFILE`; when the alias points at another member (the
  visitor was identified), one GetItem of that profile                 (1–2 requests)
- commit a request's events: TransactWriteItems — one event marker per event
  (`EVENT#collect:<visitor>:<id>`, attribute_not_exists, TTL MARKER_TTL: an id seen
  again within 24 hours has no second effect), the profile (version check, the events
  as `last_events` for the stream), the visit's one history entry (rewritten as the
  visit grows), the visitor alias and new identifier aliases            (1 request)
- redeem a site token's nonce: PutItem `PROOF#<nonce>` / `PROOF`, conditional on not
  existing or being this visitor's                                     (1 request)
So a batch of events costs 2 requests; a replayed id is dropped and the rest retried.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from kairos.clock import utc
from kairos.models.member import Member
from kairos.store import keys
from kairos.store.batch import batch_get
from kairos.store.codec import from_item, to_attr, to_item
from kairos.store.member_index import member_from_item, read_profile
from kairos.store.search_index import index_changes
from kairos.store.timeline import timeline_item
from kairos.store.transactions import cancellation_reasons

MARKER_TTL = timedelta(hours=48)
"""Event markers outlive the 24-hour window (DynamoDB deletes expired items lazily)."""
VISITOR = "visitor"
"""The alias kind of an anonymous visitor id (never an identifier a member can name)."""


@dataclass(frozen=True)
class VisitorState:
    owner: str | None
    """The member the visitor alias points at (None: a visitor never seen)."""
    member: Member | None
    """That member's profile (or the visitor's own, when there is no alias yet)."""


@dataclass
class VisitorWrite:
    member: Member
    before: Member | None
    markers: list[str]
    """Dedupe keys, one per event, in the events' order."""
    events: list[dict[str, Any]]
    """The events as stored on the profile (`last_events`), in the same order."""
    visit_at: datetime
    visit_id: str
    visit_data: dict[str, Any]
    alias_new: bool = False
    """Write the visitor alias (`attribute_not_exists`)."""
    alias_from: str | None = None
    """Repoint the visitor alias from this member (conditional)."""
    links: dict[str, str] = field(default_factory=dict)
    """New identifier aliases for the member (a proof named an unknown identifier)."""


@dataclass(frozen=True)
class Outcome:
    applied: bool
    duplicates: frozenset[int] = frozenset()
    """Indexes of events whose marker exists: drop them and commit the rest."""


class VisitorStore:
    def __init__(self, table: str, client: Any, *, timeline_ttl_days: int = 730) -> None:
        self.table = table
        self.client: Any = client
        self.timeline_ttl_days = timeline_ttl_days

    def visitor(self, visitor: str, own_id: str) -> VisitorState:
        alias_key = (keys.alias_pk(VISITOR, visitor), "ALIAS")
        own_key = (keys.member_pk(own_id), keys.PROFILE_SK)
        found = batch_get(self.client, self.table, [alias_key, own_key])
        alias = found.get(alias_key)
        owner = str(alias["member_id"]["S"]) if alias else None
        if owner is None or owner == own_id:
            own = found.get(own_key)
            return VisitorState(owner, member_from_item(own) if own else None)
        return VisitorState(owner, self.profile(owner))

    def profile(self, member_id: str) -> Member | None:
        return read_profile(self.client, self.table, member_id)

    def redeem(self, nonce: str, visitor: str, now: datetime) -> bool:
        """Claim a site token's nonce for `visitor`; False when another visitor has it."""
        item = to_item(
            {
                "pk": keys.proof_pk(nonce),
                "sk": keys.PROOF_SK,
                "visitor": visitor,
                "expires_at": int((utc(now) + timedelta(days=2)).timestamp()),
            }
        )
        try:
            self.client.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_not_exists(pk) OR visitor = :v",
                ExpressionAttributeValues={":v": to_attr(visitor)},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def commit(self, write: VisitorWrite, visitor: str, now: datetime) -> Outcome:
        expires = int((utc(now) + MARKER_TTL).timestamp())
        items: list[dict[str, Any]] = [
            _put_new(self.table, {"pk": keys.event_pk(m), "sk": "EVENT", "expires_at": expires})
            for m in write.markers
        ]
        items.append(self._profile(write))
        items.append(
            {
                "Put": {
                    "TableName": self.table,
                    "Item": timeline_item(
                        write.member.member_id, write.visit_at, write.visit_id, "site.visit",
                        write.visit_data, self.timeline_ttl_days, expires_from=now,
                    ),
                }
            }
        )  # fmt: skip
        alias = {"pk": keys.alias_pk(VISITOR, visitor), "sk": "ALIAS", "kind": VISITOR,
                 "member_id": write.member.member_id}  # fmt: skip
        if write.alias_new:
            items.append(_put_new(self.table, alias))
        elif write.alias_from is not None:
            items.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(alias),
                        "ConditionExpression": "member_id = :old",
                        "ExpressionAttributeValues": {":old": to_attr(write.alias_from)},
                    }
                }
            )
        for kind, value in write.links.items():
            link = {"pk": keys.alias_pk(kind, value), "sk": "ALIAS", "kind": kind,
                    "member_id": write.member.member_id}  # fmt: skip
            items.append(_put_new(self.table, link))
        # Only known members are in the console's search indexes, not anonymous visitors.
        if write.member.identifiers:
            before = write.before if write.before and write.before.identifiers else None
            items.extend(index_changes(self.table, write.member, before))
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            codes = cancellation_reasons(exc)
            failed = frozenset(
                i for i, code in enumerate(codes[: len(write.markers)])
                if code == "ConditionalCheckFailed"
            )  # fmt: skip
            return Outcome(False, failed)
        return Outcome(True)

    def _profile(self, write: VisitorWrite) -> dict[str, Any]:
        values = write.member.model_dump(mode="json")
        last = write.events[-1]
        values.update(
            pk=keys.member_pk(write.member.member_id),
            sk=keys.PROFILE_SK,
            last_event=last,
            last_event_id=last["id"],
            last_events=write.events,
        )
        put: dict[str, Any] = {"TableName": self.table, "Item": to_item(values)}
        if write.before is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = {":v": to_attr(write.before.version)}
        return {"Put": put}


def _put_new(table: str, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": table,
            "Item": to_item(values),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def stored_events(item: dict[str, Any]) -> list[dict[str, Any]]:
    """The events a profile write carries (`last_events`, else `last_event`)."""
    values = from_item(item)
    events = values.get("last_events")
    if isinstance(events, list) and events:
        return [e for e in events if isinstance(e, dict)]
    return [values["last_event"]] if values.get("last_event") else []
