"""The `meta` table: small named values the bot keeps about itself (when a cache was refreshed...)."""

from __future__ import annotations

from storage.db import Executor


class MetaRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    async def get(self, key: str) -> str | None:
        row = await self._ex.fetch_one("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row["value"]) if row else None

    async def put(self, key: str, value: str) -> None:
        await self._ex.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
