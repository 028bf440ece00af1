"""The `delivery_services` table: the Market's reference of delivery services, as last fetched."""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.records import DeliveryServiceRef
from storage.db import Executor


class DeliveryServicesRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    async def replace_all(self, services: Iterable[DeliveryServiceRef]) -> None:
        await self._ex.execute("DELETE FROM delivery_services")
        await self._ex.executemany(
            "INSERT INTO delivery_services (id, name) VALUES (?, ?)", [(s.id, s.name) for s in services]
        )

    async def all(self) -> list[DeliveryServiceRef]:
        rows = await self._ex.fetch_all("SELECT id, name FROM delivery_services ORDER BY name, id")
        return [DeliveryServiceRef.model_validate(dict(r)) for r in rows]
