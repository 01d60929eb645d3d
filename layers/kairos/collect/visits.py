"""Apply a website's browse events to its visitor: the collect route's one call into the
domain (docs/tracking.md).

A visitor is an anonymous member (`v-` and a keyed hash of the snippet's anonymous id)
until a proof (kairos.ingest.proofs) ties it to a member:
- the proof names a member who exists: the anonymous visitor is merged into them (the
  staff merge, kairos.members.merge: history, counters, newest fields), and the visitor
  id points at them from then on; a visitor already known as another member is only
  repointed (two known members are never merged here);
- the proof names an identifier nobody holds (a LIFF user, a customer id): it is linked
  to the anonymous visitor, who becomes that member.
A request's events are planned together and committed in one transaction: each event's
marker (its id seen again within 24 hours has no second effect), the profile, and the
visit's single history entry. Cost: 2 DynamoDB requests a request, whatever its size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from kairos.clock import iso
from kairos.ingest.browse import apply_browse, visit_of
from kairos.ingest.collect import BrowseEvent, CollectBatch
from kairos.ingest.identity import keyed_id, new_member_id
from kairos.ingest.ports import Identifier
from kairos.ingest.proofs import (
    BadProof,
    LiffVerifier,
    Proof,
    read_identify,
    read_liff,
    read_site_token,
)
from kairos.members.merge import MergeStore, merge
from kairos.models.member import Member
from kairos.store.visitors import VISITOR, Outcome, VisitorState, VisitorWrite

ATTEMPTS = 10


class Visitors(Protocol):
    def visitor(self, visitor: str, own_id: str) -> VisitorState: ...
    def profile(self, member_id: str) -> Member | None: ...
    def redeem(self, nonce: str, visitor: str, now: datetime) -> bool: ...
    def commit(self, write: VisitorWrite, visitor: str, now: datetime) -> Outcome: ...


class Owners(Protocol):
    def owners(self, identifiers: Iterable[Identifier]) -> dict[Identifier, str]: ...


@dataclass(frozen=True)
class Keys:
    member_id_key: bytes
    tracking_key: Callable[[], bytes]
    identify_key: Callable[[], str]
    """The brand's webhook `hmac_key` (its backend signs identifies with it)."""
    liff: LiffVerifier
    liff_channel_id: str


@dataclass(frozen=True)
class Deps:
    visitors: Visitors
    owners: Owners
    merges: MergeStore
    keys: Keys
    segment_ids: Callable[[], list[str]]


@dataclass
class Collected:
    received: int
    applied: int = 0
    duplicates: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    identified: str | None = None
    """How the visitor was identified by this request (`link`, `liff`, `identify`)."""

    def as_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "received": self.received,
            "applied": self.applied,
            "duplicates": self.duplicates,
        }
        if self.dropped:
            answer["dropped"] = dict(self.dropped)
        if self.identified:
            answer["identified"] = self.identified
        return answer


def visitor_member_id(visitor: str, key: bytes) -> str:
    return keyed_id("v", f"{VISITOR}:{visitor}", key)


@dataclass(frozen=True)
class Target:
    """Who a proof says the visitor is."""

    member_id: str
    exists: bool
    links: dict[str, str] = field(default_factory=dict)
    source: str = ""


def read_proof(identity: dict[str, str], visitor: str, keys: Keys, now: datetime) -> Proof:
    if "token" in identity:
        return read_site_token(keys.tracking_key(), identity["token"], now)
    if "liff_id_token" in identity:
        return read_liff(keys.liff, identity["liff_id_token"], keys.liff_channel_id, now)
    if "payload" in identity and "signature" in identity:
        return read_identify(
            keys.identify_key(), identity["payload"], identity["signature"], visitor, now
        )
    raise BadProof("identity: give token, liff_id_token, or payload and signature")


def _target(batch: CollectBatch, deps: Deps, now: datetime) -> Target:
    assert batch.identity is not None
    proof = read_proof(batch.identity, batch.visitor, deps.keys, now)
    if proof.kind == "member_id":
        if proof.nonce is None or not deps.visitors.redeem(proof.nonce, batch.visitor, now):
            raise BadProof("identity token: already used by another visitor")
        if deps.visitors.profile(proof.value) is None:
            raise BadProof("identity token: the member is gone")
        return Target(proof.value, True, source=proof.source)
    owner = deps.owners.owners([(proof.kind, proof.value)]).get((proof.kind, proof.value))
    if owner is not None:
        return Target(owner, True, source=proof.source)
    links = {proof.kind: proof.value}
    return Target(new_member_id(links, deps.keys.member_id_key), False, links, proof.source)


def _anonymous(member: Member | None) -> bool:
    return member is not None and not member.identifiers


def _fresh(member_id: str, visitor: str, at: datetime) -> Member:
    member = Member(member_id=member_id, created_at=at)
    member.profile["anonymous"] = True
    member.link({VISITOR: visitor})
    return member


def collect(batch: CollectBatch, deps: Deps, now: datetime) -> Collected:
    """Apply the batch (and its proof) exactly once; BadProof when the proof is refused
    (then nothing is written)."""
    result = Collected(received=len(batch.events) + sum(batch.dropped.values()))
    result.dropped.update(batch.dropped)
    own_id = visitor_member_id(batch.visitor, deps.keys.member_id_key)
    target = _target(batch, deps, now) if batch.identity else None
    if target is not None:
        result.identified = target.source
        state = deps.visitors.visitor(batch.visitor, own_id)
        if (
            target.exists
            and state.owner not in (None, target.member_id)
            and _anonymous(state.member)
        ):
            # The first proof: the anonymous history joins the member (the staff merge).
            assert state.owner is not None
            merge(target.member_id, state.owner, deps.merges, now, f"collect-{batch.visitor}",
                  segment_ids=deps.segment_ids(), by="website")  # fmt: skip
    events = list(batch.events)
    for _ in range(ATTEMPTS):
        state = deps.visitors.visitor(batch.visitor, own_id)
        write = _plan(batch, state, target, own_id, events, deps, now)
        if write is None:
            return result
        outcome = deps.visitors.commit(write, batch.visitor, now)
        if outcome.applied:
            result.applied = len(events)
            return result
        if outcome.duplicates:
            result.duplicates += len(outcome.duplicates)
            events = [e for i, e in enumerate(events) if i not in outcome.duplicates]
            if not events and target is None:
                return result
    raise RuntimeError(f"visitor {own_id}: kept changing, gave up")


def _plan(
    batch: CollectBatch,
    state: VisitorState,
    target: Target | None,
    own_id: str,
    events: list[BrowseEvent],
    deps: Deps,
    now: datetime,
) -> VisitorWrite | None:
    first = min((e.time for e in events), default=now)
    alias_new = state.owner is None
    alias_from: str | None = None
    links: dict[str, str] = {}
    member = state.member
    if target is not None and state.owner != target.member_id:
        if target.exists:
            member = deps.visitors.profile(target.member_id)
            if member is None:
                return None  # erased meanwhile: nothing to attach to
            alias_from = None if alias_new else state.owner
        elif member is None or _anonymous(member):
            links = dict(target.links)  # the visitor becomes this member
        else:
            member, links = None, dict(target.links)  # another person on a known browser
            alias_from = state.owner
            own_id = target.member_id
    if not events and not links and alias_from is None and not alias_new:
        return None
    before = member
    member = (member or _fresh(own_id, batch.visitor, first)).model_copy(deep=True)
    member.link({VISITOR: batch.visitor})
    for kind, value in links.items():
        member.identifiers.setdefault(kind, value)
        member.profile.setdefault(kind, value)
        member.profile.pop("anonymous", None)
        member.link({kind: value})
    stored: list[dict[str, Any]] = []
    for event in sorted(events, key=lambda e: (e.time, e.id)):
        key = f"collect:{batch.visitor}:{event.id}"
        stamp = f"{iso(event.time)}|{key}"
        extra = apply_browse(member, event.type, event.data, event.time, stamp)
        data = {**event.data, **extra}
        stored.append({"id": key, "type": event.type, "time": event.time.isoformat(),
                       "member": dict(member.identifiers), "data": data})  # fmt: skip
    seen = [(e.type, e.data, e.time) for e in events] or [("site.identified", {}, now)]
    visit = visit_of(member, batch.session, seen)
    member.version = (before.version if before else 0) + 1
    member.updated_at = max(member.updated_at or now, now)
    if not stored:
        # Only a proof: one event for the stream, so journeys see the new identity.
        stored.append({"id": f"collect:{batch.visitor}:identified:{iso(now)}",
                       "type": "site.identified", "time": now.isoformat(),
                       "member": dict(member.identifiers), "data": {}})  # fmt: skip
    markers = [f"collect:{batch.visitor}:{e.id}" for e in events]  # `duplicates` index these
    by_key = {s["id"]: s for s in stored}
    return VisitorWrite(
        member=member,
        before=before,
        markers=markers,
        events=[by_key[m] for m in markers] if markers else stored,
        visit_at=visit.started_at,
        visit_id=f"visit-{batch.session}",
        visit_data=visit.as_data(),
        alias_new=alias_new,
        alias_from=alias_from,
        links=links,
    )
