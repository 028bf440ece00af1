"""The `chat_posts` table: the Telegram messages a buyer's message became (its header with the buttons,
and each file), so that a reply to any of them reaches the right chat. Ids only, never the message."""

from __future__ import annotations

import datetime as dt
import sqlite3

from bot.domain.records import ChatPost
from storage.db import Executor, timestamp

COLUMNS = "user_id, tg_message_id, shop_id, chat_id, message_id, order_id, header, answered_by"


def _post_of(row: sqlite3.Row) -> ChatPost:
    return ChatPost.model_validate({k: row[k] for k in row.keys()})  # noqa: SIM118 - sqlite3.Row


class ChatPostsRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    async def add(self, post: ChatPost, now: dt.datetime) -> None:
        """Note a message just sent to a user (Telegram never reuses a message id in one chat; a row
        already here is replaced)."""
        await self._ex.execute(
            f"INSERT OR REPLACE INTO chat_posts ({COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                post.user_id,
                post.tg_message_id,
                post.shop_id,
                post.chat_id,
                post.message_id,
                post.order_id,
                int(post.header),
                post.answered_by,
                timestamp(now),
            ),
        )

    async def route(self, user_id: int, tg_message_id: int) -> ChatPost | None:
        """The buyer's message a Telegram message in this user's chat shows, if any."""
        row = await self._ex.fetch_one(
            f"SELECT {COLUMNS} FROM chat_posts WHERE user_id = ? AND tg_message_id = ?",
            (user_id, tg_message_id),
        )
        return _post_of(row) if row else None

    async def latest(self, user_id: int) -> ChatPost | None:
        """The newest message about a chat the bot showed this user (a buyer's, a result, a log)."""
        row = await self._ex.fetch_one(
            f"SELECT {COLUMNS} FROM chat_posts WHERE user_id = ? ORDER BY rowid DESC LIMIT 1", (user_id,)
        )
        return _post_of(row) if row else None

    async def chats_shown_since(self, user_id: int, since: dt.datetime) -> set[int]:
        """The chats the bot showed this user something about since then."""
        rows = await self._ex.fetch_all(
            "SELECT DISTINCT chat_id FROM chat_posts WHERE user_id = ? AND created_at >= ?",
            (user_id, timestamp(since)),
        )
        return {int(r["chat_id"]) for r in rows}

    async def others_unanswered(self, shop_id: int, chat_id: int, except_user: int) -> list[ChatPost]:
        """The headers of this chat's messages in everyone else's chat that do not yet say who answered."""
        rows = await self._ex.fetch_all(
            f"SELECT {COLUMNS} FROM chat_posts WHERE shop_id = ? AND chat_id = ? AND header = 1 "
            "AND answered_by IS NULL AND user_id != ? ORDER BY rowid",
            (shop_id, chat_id, except_user),
        )
        return [_post_of(r) for r in rows]

    async def answered(self, user_id: int, tg_message_id: int, by_user: int) -> None:
        await self._ex.execute(
            "UPDATE chat_posts SET answered_by = ? WHERE user_id = ? AND tg_message_id = ?",
            (by_user, user_id, tg_message_id),
        )

    async def delete_before(self, moment: dt.datetime) -> int:
        """Forget messages sent before `moment` (a reply to one is then not routed); how many."""
        return await self._ex.execute("DELETE FROM chat_posts WHERE created_at < ?", (timestamp(moment),))
