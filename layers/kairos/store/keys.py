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
| due timer         | DUE#<yyyy-mm-ddThh>#<shard>     | <iso due time>#<timer id>   | time-bucketed (UTC hour), write-sharded due index (engine) |
| timer reference   | MEMBER#<member_id>              | TIMER#<timer id>            | a member's date / segment-recheck timer (id, due time), so an erasure cancels it by key; TTL `expires_at` |
| due directory     | DUEDAY#<yyyy-mm-dd>             | DUEDAY                      | string set of hour buckets that got timers that UTC day (engine) |
| legacy directory  | DUEMONTH#<yyyy-mm>              | DUEMONTH                    | the same per month, written by earlier versions; read only |
| scheduler cursor  | CURSOR#scheduler                | CURSOR                      | first hour bucket not yet fully processed (engine) |
| segment member    | SEGMENT#<segment_id>            | MEMBER#<member_id>          | who is in a segment now (engine; schedule triggers read it) |
| step counters     | STATS#<journey_id>#e<shard>     | STEP#<step_id>              | entered, sent, delivered, ... (atomic ADD; STATS_SHARDS partitions, readers sum) |
| journey by hour   | STATS#<journey_id>#e<shard>     | HOUR#<yyyy-mm-ddThh>        | journey counters and revenue per UTC hour (per-day series) |
| journey's month   | STATS#<journey_id>#e<shard>     | MONTH#<yyyy-mm>             | line_billed, line_free, email, sms, sms_segments of the brand's month (sender, atomic ADD; kairos.store.costs) |
| LINE unit stats   | STATS#<journey_id>#e0           | LINE#<step_id>              | LINE's opens and clicks of the step's unit, last 14 days, overwritten (kairos.store.line_units) |
| legacy counters   | STATS#<journey_id>              | STEP#<step_id>[#e<n>], HOUR#<hour>#e<n> | written before the partition shards; read, never written |
| erasure tombstone | ERASED#<identifier hash>        | ERASED                      | an erased identifier (keyed hash): when, which request |
| tag member        | TAG#<tag>#<shard>               | MEMBER#<member_id>          | who has a tag now (written with the profile) |
| console import    | IMPORT#<import_id>              | META                        | file, mapping, header, counters; TTL (kairos.store.imports) |
| import chunk      | IMPORT#<import_id>              | CHUNK#<n, 6 digits>         | a chunk's counts and first rejects, written once; TTL |
| name entry        | NAME#<first char of name key>   | <name key>#<member_id>      | console search by name prefix (kairos.store.search_index; written with the profile) |
| joined entry      | JOINED#<shard>                  | <UTC joined_at>#<member_id> | newest members first, 8 shards (kairos.store.search_index; written with the profile) |
| audit entry       | AUDIT#<yyyy-mm-dd>              | <iso time>#<request id>     | a staff change or export (UTC day): by, role, action, member, detail; gsi1 AUDITM#<member_id> / <iso time>#<request id>; TTL |
| audit day         | AUDITDAYS                       | <yyyy-mm-dd>                | a day that has audit entries (readers skip empty days); TTL |
| visitor alias     | ALIAS#visitor#<anonymous id>    | ALIAS                       | a website visitor -> member_id (kairos.store.visitors); repointed on a proof |
| collect marker    | EVENT#collect:<visitor>:<id>    | EVENT                       | a browse event seen (24-hour window, TTL 48 h) |
| proof nonce       | PROOF#<nonce>                   | PROOF                       | a site token redeemed, by which visitor (single use); TTL |
| reply token       | REPLY#<sha-256 of the token, 32 hex> | REPLY                  | a LINE reply token the sender took, for which deliveries, `state` taken / unsent; TTL a day (kairos.store.reply_tokens) |
"""

from __future__ import annotations

import hashlib

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


ERASED_SK = "ERASED"
PROOF_SK = "PROOF"
REPLY_SK = "REPLY"


def reply_pk(token: str) -> str:
    """A LINE reply token the sender took (kairos.store.reply_tokens): hashed, as a
    token is a bearer of the member's conversation for its minute."""
    return "REPLY#" + hashlib.sha256(token.encode()).hexdigest()[:32]


def proof_pk(nonce: str) -> str:
    """A redeemed site token (kairos.ingest.proofs): the first visitor to use it owns it."""
    return f"PROOF#{nonce}"


def erased_pk(identifier_hash: str) -> str:
    """A tombstone: `identifier_hash` is kairos.ingest.erased.identifier_hash (keyed)."""
    return f"ERASED#{identifier_hash}"


TAG_SHARDS = 4
"""A popular tag (`vip`) is spread over this many partitions; a listing reads them all."""


def tag_pk(tag: str, shard: int) -> str:
    return f"TAG#{tag}#{shard}"


def tag_shard(member_id: str) -> int:
    """The one shard of a tag that holds this member (stable, spread by the id)."""
    return int(hashlib.sha256(member_id.encode()).hexdigest()[:8], 16) % TAG_SHARDS


def timer_ref_sk(timer_id: str) -> str:
    """A member's reference to one of its due timers (erasure finds it by key)."""
    return f"TIMER#{timer_id}"


TIMER_REF_PREFIX = "TIMER#"


def member_id_from_pk(pk: str) -> str:
    if not pk.startswith("MEMBER#"):
        raise ValueError(f"not a member key: {pk}")
    return pk.removeprefix("MEMBER#")


# ---- sender (kairos.store.deliveries, kairos.store.limits) ---------------------------

FREQ_SK = "FREQ"
DELIVERY_SK = "DELIVERY"
LIMIT_SK = "LIMIT"
QUOTA_SK = "QUOTA"


def delivery_pk(delivery_id: str) -> str:
    return f"DELIVERY#{delivery_id}"


def limit_pk(endpoint: str, epoch_second: int) -> str:
    """`endpoint` is a channel or a channel endpoint (`line.push`, `line.multicast`)."""
    return f"LIMIT#{endpoint}#{epoch_second}"


def quota_pk(channel: str, month: str) -> str:
    """`month` is `YYYY-MM` in the brand's time zone."""
    return f"QUOTA#{channel}#{month}"


STATS_SHARDS = 16
"""A journey's counters are spread over this many partitions (`STATS#<journey>#e<n>`):
at the example brand's mix one journey's counters take ~0.42 write units per ingested
event, 4,200 WCU/s at 10,000 events/s: 263 WCU/s per partition if spread evenly, and
the benchmark's uneven spread (its hottest shard took 1.55 times the mean with 8
shards) stays well under DynamoDB's 1,000 WCU/s per partition (docs/performance.md,
hot keys). Readers issue one Query per shard (plus the legacy partition), so more
shards cost every read of `kairos stats`."""


def stats_pk(journey_id: str, shard: int) -> str:
    """The counters partition of one shard of a journey (writers pick `stats_shard`)."""
    return f"STATS#{journey_id}#e{shard}"


def legacy_stats_pk(journey_id: str) -> str:
    """Where stacks before the partition shards wrote a journey's counters (sort-key
    shards `STEP#<step>#e<n>`, `HOUR#<hour>#e<n>`, the sender's `STEP#<step>`). Never
    written now; readers add it in, so counts do not drop after an upgrade."""
    return f"STATS#{journey_id}"


def stats_pks(journey_id: str) -> list[str]:
    """Every partition a reader sums for one journey: the legacy one, then each shard."""
    return [legacy_stats_pk(journey_id)] + [
        stats_pk(journey_id, shard) for shard in range(STATS_SHARDS)
    ]


def stats_shard(key: str) -> int:
    """The counters shard for a writer's key (an enrolment id, a batch id): stable, spread."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % STATS_SHARDS


def step_sk(step_id: str) -> str:
    """A step's counters (`-` for the journey's own), in each shard's partition."""
    return f"STEP#{step_id}"


def step_from_sk(sk: str) -> str:
    """The step of a `STEP#` sort key, new (`STEP#<step>`) or legacy (`STEP#<step>#e<n>`)."""
    return sk.removeprefix("STEP#").split("#")[0]


# ---- journey engine (kairos.store.timers, kairos.store.enrolments) ------------------

CURSOR_PK = "CURSOR#scheduler"
CURSOR_SK = "CURSOR"


def due_pk(hour_bucket: str, shard: int) -> str:
    """`hour_bucket` is `YYYY-MM-DDTHH` in UTC."""
    return f"DUE#{hour_bucket}#{shard}"


def due_sk(iso_due: str, timer_id: str) -> str:
    return f"{iso_due}#{timer_id}"


DUEDAY_SK = "DUEDAY"
DUEMONTH_SK = "DUEMONTH"


def due_day_pk(day: str) -> str:
    """Directory of the hour buckets that received timers in a UTC day (`YYYY-MM-DD`), so a
    scheduler catching up over weeks reads one item per day (batched), not one query per
    hour; at most 24 buckets, so an addition is one write unit."""
    return f"DUEDAY#{day}"


def due_month_pk(month: str) -> str:
    """The month directory (`YYYY-MM`) earlier versions wrote instead of day directories:
    still read when catching up, so the timers it lists are found after an upgrade."""
    return f"DUEMONTH#{month}"


def journey_pk(journey_id: str) -> str:
    return f"JOURNEY#{journey_id}"


def journey_version_sk(version: str) -> str:
    return f"V#{version}"


def enrolment_sk(journey_id: str, enrolment_id: str) -> str:
    return f"ENROL#{journey_id}#{enrolment_id}"


def segment_pk(segment_id: str) -> str:
    """Members currently in a segment (`SEGMENT#<id>` / `MEMBER#<member_id>`): what a
    schedule trigger enrols, read with one Query instead of a scan."""
    return f"SEGMENT#{segment_id}"


def stats_hour_sk(hour_bucket: str) -> str:
    """Journey-level counters per UTC hour (`YYYY-MM-DDTHH`), so `kairos stats --from/--to`
    reads a day series with one Query per shard and sums hours into the brand's own days."""
    return f"HOUR#{hour_bucket}"


def hour_from_sk(sk: str) -> str:
    """The hour of a `HOUR#` sort key, new (`HOUR#<hour>`) or legacy (`HOUR#<hour>#e<n>`)."""
    return sk.split("#")[1]


# ---- audit trail (kairos.store.audit) -------------------------------------------------

AUDIT_DAYS_PK = "AUDITDAYS"


def audit_pk(day: str) -> str:
    """The audit entries of one UTC day (`YYYY-MM-DD`)."""
    return f"AUDIT#{day}"


def audit_sk(iso_time: str, request_id: str) -> str:
    """One entry: sortable time, then the request that made the change."""
    return f"{iso_time}#{request_id}"


def audit_member_pk(member_id: str) -> str:
    """gsi1 partition of the audit entries naming one member."""
    return f"AUDITM#{member_id}"
