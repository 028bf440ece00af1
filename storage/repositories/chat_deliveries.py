"""The `chat_deliveries` table: each buyer's message, with who is to be told of it, recorded before it
is sent (so a restart neither loses nor repeats it). Ids only, never the message."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Collection, Sequence

from bot.domain.records import ChatDue
from storage.db import Executor, timestamp


def _due_of(row: sqlite3.Row) -> ChatDue:
    return ChatDue(
        shop_id=row["shop_id"],
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        order_id=row["order_id"],
        user_id=row["user_id"],
    )


class ChatDeliveriesRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    async def record(
        self,
        shop_id: int,
        chat_id: int,
        message_id: int,
        order_id: int | None,
        user_ids: Sequence[int],
        now: dt.datetime,
    ) -> int:
        """The message is to be told to these users (each once, ever); how many of them are new."""
        added = 0
        for user in dict.fromkeys(user_ids):
            row = await self._ex.fetch_one(
                "INSERT OR IGNORE INTO chat_deliveries (shop_id, chat_id, message_id, user_id, order_id, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING 1",
                (shop_id, chat_id, message_id, user, order_id, timestamp(now)),
            )
            added += row is not None
        return added

    async def due(
        self, limit: int = 100, *, except_shops: Collection[int] = (), except_chats: Collection[int] = ()
    ) -> list[ChatDue]:
        """Messages not yet told to their recipient, oldest first (none of `except_shops` or
        `except_chats`)."""
        shops, chats = sorted(except_shops), sorted(except_chats)
        rows = await self._ex.fetch_all(
            "SELECT shop_id, chat_id, message_id, order_id, user_id FROM chat_deliveries WHERE sent = 0 "
            f"AND shop_id NOT IN ({', '.join('?' * len(shops))}) "
            f"AND chat_id NOT IN ({', '.join('?' * len(chats))}) ORDER BY rowid LIMIT ?",
            (*shops, *chats, limit),
        )
        return [_due_of(r) for r in rows]

    async def sent(self, shop_id: int, chat_id: int, message_id: int, user_id: int) -> None:
        await self._ex.execute(
            "UPDATE chat_deliveries SET sent = 1 "
            "WHERE shop_id = ? AND chat_id = ? AND message_id = ? AND user_id = ?",
            (shop_id, chat_id, message_id, user_id),
        )

    async def told(self, shop_id: int, chat_id: int, message_id: int) -> set[int]:
        """The users this message is recorded for (sent or still due)."""
        rows = await self._ex.fetch_all(
            "SELECT user_id FROM chat_deliveries WHERE shop_id = ? AND chat_id = ? AND message_id = ?",
            (shop_id, chat_id, message_id),
        )
        return {int(r["user_id"]) for r in rows}

    async def delete_before(self, moment: dt.datetime) -> int:
        """Forget deliveries recorded before `moment` (sent or not); how many."""
        return await self._ex.execute(
            "DELETE FROM chat_deliveries WHERE created_at < ?", (timestamp(moment),)
        )
