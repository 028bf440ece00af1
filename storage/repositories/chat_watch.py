"""The `chat_watch` table: the newest message of each chat already looked at (a poll reads only what is
newer)."""

from __future__ import annotations

import datetime as dt

from storage.db import Executor, parse_timestamp, timestamp


class ChatWatchRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    async def last(self, shop_id: int, chat_id: int) -> int | None:
        row = await self._ex.fetch_one(
            "SELECT last_message_id FROM chat_watch WHERE shop_id = ? AND chat_id = ?", (shop_id, chat_id)
        )
        return int(row["last_message_id"]) if row else None

    async def lasts(self, shop_id: int) -> dict[int, int]:
        """Each watched chat of the shop → its newest message looked at."""
        rows = await self._ex.fetch_all(
            "SELECT chat_id, last_message_id FROM chat_watch WHERE shop_id = ?", (shop_id,)
        )
        return {int(r["chat_id"]): int(r["last_message_id"]) for r in rows}

    async def seen(self, shop_id: int) -> dict[int, tuple[int, dt.datetime]]:
        """Each watched chat of the shop → its newest message looked at, and when it was."""
        rows = await self._ex.fetch_all(
            "SELECT chat_id, last_message_id, updated_at FROM chat_watch WHERE shop_id = ?", (shop_id,)
        )
        return {
            int(r["chat_id"]): (int(r["last_message_id"]), parse_timestamp(r["updated_at"])) for r in rows
        }

    async def advance(self, shop_id: int, chat_id: int, message_id: int, now: dt.datetime) -> None:
        """The chat has been looked at up to `message_id` (never moves back; the time is noted anyway)."""
        await self._ex.execute(
            "INSERT INTO chat_watch (shop_id, chat_id, last_message_id, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(shop_id, chat_id) DO UPDATE SET "
            "last_message_id = max(last_message_id, excluded.last_message_id), "
            "updated_at = excluded.updated_at",
            (shop_id, chat_id, message_id, timestamp(now)),
        )

    async def delete_before(self, moment: dt.datetime) -> int:
        """Forget chats not looked at since `moment`; how many."""
        return await self._ex.execute("DELETE FROM chat_watch WHERE updated_at < ?", (timestamp(moment),))
