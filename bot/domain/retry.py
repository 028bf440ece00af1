"""When a queued operation is tried again: capped backoff with jitter, never sooner than the Market asked,
for up to `window` after it was confirmed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.domain.backoff import jittered_delay
from bot.domain.operations import Failure
from bot.domain.records import Operation


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_seconds: float = 5.0
    cap_seconds: float = 600.0
    window: dt.timedelta = dt.timedelta(hours=24)

    def next_attempt(self, operation: Operation, failure: Failure, now: dt.datetime) -> dt.datetime | None:
        """When to try again, or None when the window is over."""
        deadline = operation.created_at + self.window
        if now >= deadline:
            return None
        delay = jittered_delay(operation.attempts, self.base_seconds, self.cap_seconds)
        delay = max(delay, failure.retry_after or 0.0)
        return min(now + dt.timedelta(seconds=delay), deadline)
