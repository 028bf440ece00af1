"""The Market's delivery-services reference, cached in SQLite and refreshed at most once a day."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable

from bot.domain.clock import utcnow
from bot.domain.records import DeliveryServiceRef
from bot.market.client import MarketClient
from bot.market.errors import MarketError
from storage.db import Database, timestamp
from storage.repositories import DeliveryServicesRepo, MetaRepo

logger = logging.getLogger(__name__)

MAX_AGE = dt.timedelta(days=1)
FAILURE_PAUSE_SECONDS = 60.0
FETCHED_AT = "delivery_services.fetched_at"


class DeliveryServices:
    """Never makes a user wait for the reference when a copy exists: a stale copy is served at once
    and refreshed in the background. Only without any copy does a user wait, and then for one call
    shared by everyone asking at that moment. A failed refresh is not tried again for a minute."""

    def __init__(
        self,
        market: MarketClient,
        db: Database,
        *,
        max_age: dt.timedelta = MAX_AGE,
        clock: Callable[[], dt.datetime] = utcnow,
        retry_after_failure: float = FAILURE_PAUSE_SECONDS,
    ) -> None:
        self._market = market
        self._db = db
        self._max_age = max_age
        self._clock = clock
        self._pause = retry_after_failure
        self._fetching: asyncio.Task[list[DeliveryServiceRef]] | None = None
        self._failed: tuple[float, MarketError] | None = None  # when (monotonic), and why

    async def cached(self) -> list[DeliveryServiceRef]:
        """What is stored, without asking the Market (for background notices)."""
        return await DeliveryServicesRepo(self._db).all()

    async def names(self) -> dict[int, str]:
        return {s.id: s.name for s in await self.cached()}

    async def all(self, api_key: str) -> list[DeliveryServiceRef]:
        """The stored list (refreshed in the background when older than a day), or, with no copy yet,
        the Market's; raises the Market's error only when there is no copy at all."""
        raw = await MetaRepo(self._db).get(FETCHED_AT)
        fetched_at = dt.datetime.fromisoformat(raw) if raw else None
        cached = await self.cached() if fetched_at is not None else []
        if cached and fetched_at is not None:
            if self._clock() - fetched_at >= self._max_age and self._may_fetch():
                self._start_fetch(api_key, retry=False)  # nobody waits for it: one try
            return cached
        fetching = self._fetching
        if fetching is None:
            if not self._may_fetch() and self._failed is not None:
                raise self._failed[1]
            fetching = self._start_fetch(api_key, retry=True)  # users wait: the transport's retries
        return await asyncio.shield(fetching)

    async def all_or_none(self, api_key: str) -> list[DeliveryServiceRef]:
        """The list, or nothing when the Market cannot give it now (callers then take typed ids)."""
        try:
            return await self.all(api_key)
        except MarketError:
            return []

    def _may_fetch(self) -> bool:
        return self._fetching is None and (
            self._failed is None or time.monotonic() - self._failed[0] >= self._pause
        )

    def _start_fetch(self, api_key: str, *, retry: bool) -> asyncio.Task[list[DeliveryServiceRef]]:
        task = asyncio.create_task(self._fetch(api_key, retry), name="delivery-services-refresh")
        task.add_done_callback(self._fetched)
        self._fetching = task
        return task

    def _fetched(self, task: asyncio.Task[list[DeliveryServiceRef]]) -> None:
        self._fetching = None
        if not task.cancelled() and task.exception() is None:
            self._failed = None

    async def _fetch(self, api_key: str, retry: bool) -> list[DeliveryServiceRef]:
        try:
            fresh = await self._market.get_delivery_services(api_key, retry=retry)
        except MarketError as exc:
            self._failed = (time.monotonic(), exc)
            logger.warning("delivery services refresh failed (%s); the stored copy stays", type(exc).__name__)
            raise
        refs = [DeliveryServiceRef(id=s.id, name=s.name) for s in fresh]
        async with self._db.transaction() as tx:
            await DeliveryServicesRepo(tx).replace_all(refs)
            await MetaRepo(tx).put(FETCHED_AT, timestamp(self._clock()))
        return sorted(refs, key=lambda s: (s.name, s.id))
