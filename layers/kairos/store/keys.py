"""Key patterns of the single table (`<prefix>-main`, keys `pk`/`sk`, index `gsi1`).

Every access Kairos makes is a GetItem, a Query or a conditional write on one of these
patterns; nothing on a hot path scans. `docs/data-model.md` explains each pattern with
its access paths; keep both in step.

| item              | pk                              | sk                          | notes |
|-------------------|---------------------------------|-----------------------------|-------|
| member profile    | MEMBER#<member_id>              | PROFILE                     | attributes, tags, stats, `version`, `last_event` (drives the stream) |
| identity alias    | ALIAS#<kind>#<value>            | ALIAS                       | -> member_id; created with attribute_not_exists (unique) |
| event marker      | EVENT#<event_id>                | EVENT                       | de-duplication, TTL `expires_at` |
| timeline entry    | MEMBER#<member_id>              | TL#<iso time>#<entry id>    | TTL `expires_at` |
| order             | MEMBER#<member_id>              | ORDER#<order_id>            | what an order added to stats, so a cancellation can take it back |
| frequency window  | MEMBER#<member_id>              | FREQ                        | recent non-transactional send times (sender) |
| delivery          | DELIVERY#<delivery_id>          | DELIVERY                    | status, channel, provider id, enrolment and step (sender) |
| rate window       | LIMIT#<channel>#<epoch second>  | LIMIT                       | shared send-rate counter, TTL (sender) |
| monthly quota     | QUOTA#<channel>#<YYYY-MM>       | QUOTA                       | messages consumed this calendar month (sender) |
| journey version   | JOURNEY#<journey_id>            | V#<version>                 | immutable published definition (engine) |
| enrolment         | MEMBER#<member_id>              | ENROL#<journey_id>#<enrolment_id> | state, step, version; gsi1 JOURNEY#<journey_id> / <step>#<member_id> |
| due timer         | DUE#<yyyy-mm-ddThh:mm>#<shard>  | <iso due time>#<timer id>   | time-bucketed, write-sharded due index (engine) |
| scheduler cursor  | CURSOR#scheduler                | CURSOR                      | last minute bucket fully processed (engine) |
| step counters     | STATS#<journey_id>              | STEP#<step_id>              | entered, sent, delivered, ... (atomic ADD) |
"""

from __future__ import annotations

PROFILE_SK = "PROFILE"


def member_pk(member_id: str) -> str:
    return f"MEMBER#{member_id}"


def alias_pk(kind: str, value: str) -> str:
    return f"ALIAS#{kind}#{value}"


def event_pk(event_id: str) -> str:
    return f"EVENT#{event_id}"


def timeline_sk(iso_time: str, entry_id: str) -> str:
    return f"TL#{iso_time}#{entry_id}"


def order_sk(order_id: str) -> str:
    return f"ORDER#{order_id}"


def member_id_from_pk(pk: str) -> str:
    if not pk.startswith("MEMBER#"):
        raise ValueError(f"not a member key: {pk}")
    return pk.removeprefix("MEMBER#")
