"""The Market's delivery-services reference, cached in SQLite and refreshed at most once a day."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from bot.market import MarketClient, MarketError
from storage.models import DeliveryServiceRef
from storage.repositories import DeliveryServicesRepo

logger = logging.getLogger(__name__)

MAX_AGE = dt.timedelta(days=1)


class DeliveryServiceCatalog:
    def __init__(
        self,
        client: MarketClient,
        repo: DeliveryServicesRepo,
        *,
        max_age: dt.timedelta = MAX_AGE,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._client = client
        self._repo = repo
        self._max_age = max_age
        self._clock = clock
        self._refresh_lock = asyncio.Lock()

    async def cached(self) -> list[DeliveryServiceRef]:
        """What is stored, without asking the Market (for background notices)."""
        return await self._repo.all()

    async def all(self, api_key: str) -> list[DeliveryServiceRef]:
        """The cached list; fetched from the Market when missing or older than a day.

        If a refresh fails but an older copy exists, the older copy is used (the list rarely changes).
        """
        async with self._refresh_lock:
            fetched_at = await self._repo.fetched_at()
            if fetched_at is not None and self._clock() - fetched_at < self._max_age:
                return await self._repo.all()
            try:
                fresh = await self._client.get_delivery_services(api_key)
            except MarketError:
                cached = await self._repo.all()
                if fetched_at is None or not cached:
                    raise
                logger.warning("delivery services refresh failed; using the copy of %s", fetched_at)
                return cached
            refs = [DeliveryServiceRef(id=s.id, name=s.name) for s in fresh]
            await self._repo.replace_all(refs, self._clock())
            return sorted(refs, key=lambda s: (s.name, s.id))
