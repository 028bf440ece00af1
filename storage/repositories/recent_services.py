"""The `recent_delivery_services` table: the services each user picked lately, newest first."""

from __future__ import annotations

from storage.db import Executor


class RecentServicesRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    async def recent(self, user_id: int, limit: int = 5) -> list[int]:
        rows = await self._ex.fetch_all(
            "SELECT service_id FROM recent_delivery_services WHERE user_id = ? "
            "ORDER BY used_seq DESC LIMIT ?",
            (user_id, limit),
        )
        return [int(r["service_id"]) for r in rows]

    async def remember(self, user_id: int, service_id: int) -> None:
        await self._ex.execute(
            "INSERT INTO recent_delivery_services (user_id, service_id, used_seq) "
            "VALUES (?1, ?2, (SELECT coalesce(max(used_seq), 0) + 1 "
            "FROM recent_delivery_services WHERE user_id = ?1)) "
            "ON CONFLICT(user_id, service_id) DO UPDATE SET used_seq = excluded.used_seq",
            (user_id, service_id),
        )
