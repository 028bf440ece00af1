"""The `user_settings` table: each user's active shop (what /track, /date and /history act on)."""

from __future__ import annotations

from storage.db import Executor


class PreferencesRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    async def active_shop_id(self, user_id: int) -> int | None:
        row = await self._ex.fetch_one(
            "SELECT active_shop_id FROM user_settings WHERE user_id = ?", (user_id,)
        )
        return int(row["active_shop_id"]) if row and row["active_shop_id"] is not None else None

    async def set_active_shop(self, user_id: int, shop_id: int | None) -> None:
        await self._ex.execute(
            "INSERT INTO user_settings (user_id, active_shop_id) VALUES (?, ?) "
            "ON CONFLICT(user_id) DO UPDATE SET active_shop_id = excluded.active_shop_id",
            (user_id, shop_id),
        )
