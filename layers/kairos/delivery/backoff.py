"""How long a message given back to its queue stays away (`RetryLater` → visibility)."""

from __future__ import annotations

import math
import random

from kairos.delivery.model import RetryLater

MAX_VISIBILITY = 12 * 3600
"""SQS' longest visibility timeout."""
MAX_BACKOFF = 900


def retry_delay(error: RetryLater, receive_count: int) -> int:
    """Seconds until a returned message is visible again.

    Backoff errors grow exponentially with the receives so far (1, 2, 4 … 900 s) with
    "equal jitter" (half fixed, half random), so a throttled crowd does not come back
    all at once; a `not_before` deferral waits exactly until then."""
    if not error.backoff:
        return max(0, min(MAX_VISIBILITY, math.ceil(error.delay)))
    ceiling = min(MAX_BACKOFF, max(1.0, error.delay) * 2 ** max(0, receive_count - 1))
    return max(1, round(random.uniform(ceiling / 2, ceiling)))
