"""API keys between "the owner sent a key" and "the owner chose a campaign", in memory only.

A key must never reach FSM data or the database in clear, so it waits here for a few minutes. After a
restart it is gone and the owner is asked to send it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.market_data import Campaign

TTL_SECONDS = 15 * 60


@dataclass(frozen=True, slots=True)
class PendingKey:
    api_key: str
    campaigns: dict[int, Campaign]
    expires_at: float


class PendingKeys:
    def __init__(self, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._by_user: dict[int, PendingKey] = {}

    def put(self, user_id: int, api_key: str, campaigns: list[Campaign]) -> None:
        self._drop_expired()
        self._by_user[user_id] = PendingKey(api_key, {c.id: c for c in campaigns}, self._clock() + self._ttl)

    def get(self, user_id: int) -> PendingKey | None:
        self._drop_expired()
        return self._by_user.get(user_id)

    def pop(self, user_id: int) -> None:
        self._by_user.pop(user_id, None)

    def _drop_expired(self) -> None:
        now = self._clock()
        for user_id in [u for u, p in self._by_user.items() if p.expires_at <= now]:
            del self._by_user[user_id]
