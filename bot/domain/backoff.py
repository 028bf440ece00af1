"""The one backoff formula: capped exponential growth with jitter (for Market reads and queued operations)."""

from __future__ import annotations

import random


def jittered_delay(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait before try `attempt + 1`: between half and all of min(cap, base * 2**(attempt-1))."""
    ceiling = min(cap, base * 2.0 ** max(0, attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto
