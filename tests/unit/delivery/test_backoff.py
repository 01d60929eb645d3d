"""How long a message returned to the queue stays away."""

from __future__ import annotations

from kairos.delivery.backoff import MAX_BACKOFF, retry_delay
from kairos.delivery.model import RetryLater, Throttled


def test_backoff_grows_with_receives_and_has_jitter() -> None:
    error = Throttled("429", delay=1.0)
    for receives in range(1, 12):
        ceiling = min(MAX_BACKOFF, 2 ** (receives - 1))
        delays = {retry_delay(error, receives) for _ in range(50)}
        assert all(max(1, ceiling / 2) - 1 <= d <= ceiling for d in delays), (receives, delays)
    assert len({retry_delay(error, 8) for _ in range(50)}) > 1  # jittered


def test_a_not_before_deferral_waits_exactly_until_then() -> None:
    assert retry_delay(RetryLater("early", delay=42.3, backoff=False), 3) == 43
    assert retry_delay(RetryLater("early", delay=10 * 86400, backoff=False), 1) == 12 * 3600
