"""The Market's delivery-services reference, cached in SQLite and refreshed at most once a day."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from bot.domain.clock import utcnow
from bot.domain.records import DeliveryServiceRef
from bot.market import MarketClient, MarketError
from storage.db import Database, timestamp
from storage.repositories import DeliveryServicesRepo, MetaRepo

logger = logging.getLogger(__name__)

MAX_AGE = dt.timedelta(days=1)
FETCHED_AT = "delivery_services.fetched_at"


class DeliveryServices:
    def __init__(
        self,
        market: MarketClient,
        db: Database,
        *,
        max_age: dt.timedelta = MAX_AGE,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._market = market
        self._db = db
        self._max_age = max_age
        self._clock = clock
        self._refresh_lock = asyncio.Lock()

    async def cached(self) -> list[DeliveryServiceRef]:
        """What is stored, without asking the Market (for background notices)."""
        return await DeliveryServicesRepo(self._db).all()

    async def names(self) -> dict[int, str]:
        return {s.id: s.name for s in await self.cached()}

    async def all(self, api_key: str) -> list[DeliveryServiceRef]:
        """The cached list; fetched from the Market when missing or older than a day.

        If a refresh fails but an older copy exists, the older copy is used (the list rarely changes).
        """
        async with self._refresh_lock:
            raw = await MetaRepo(self._db).get(FETCHED_AT)
            fetched_at = dt.datetime.fromisoformat(raw) if raw else None
            if fetched_at is not None and self._clock() - fetched_at < self._max_age:
                return await self.cached()
            try:
                fresh = await self._market.get_delivery_services(api_key)
            except MarketError:
                cached = await self.cached()
                if fetched_at is None or not cached:
                    raise
                logger.warning("delivery services refresh failed; using the copy of %s", fetched_at)
                return cached
            refs = [DeliveryServiceRef(id=s.id, name=s.name) for s in fresh]
            async with self._db.transaction() as tx:
                await DeliveryServicesRepo(tx).replace_all(refs)
                await MetaRepo(tx).put(FETCHED_AT, timestamp(self._clock()))
            return sorted(refs, key=lambda s: (s.name, s.id))

    async def all_or_none(self, api_key: str) -> list[DeliveryServiceRef]:
        """The list, or nothing when the Market cannot give it now (callers then take typed ids)."""
        try:
            return await self.all(api_key)
        except MarketError:
            return []
