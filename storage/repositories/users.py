"""The `users` table: who has talked to the bot, their language and display name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from bot.domain.records import User
from storage.db import Executor, timestamp


class UsersRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    async def ensure(self, user_id: int) -> None:
        """Make sure the user has a row (others refer to it), keeping what is known."""
        await self._ex.execute("INSERT OR IGNORE INTO users (id) VALUES (?)", (user_id,))

    async def upsert(
        self, user_id: int, language: str, name: str | None = None, *, seen: dt.datetime | None = None
    ) -> User:
        """The user's language and name (`updated_at` moves when they change); `seen`: they talked
        to the bot then."""
        await self._ex.execute(
            "INSERT INTO users (id, language, name, seen_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE "
            "SET language = excluded.language, name = coalesce(excluded.name, users.name), "
            "updated_at = CASE WHEN users.language != excluded.language OR users.name IS NOT excluded.name "
            "THEN excluded.updated_at ELSE users.updated_at END, "
            "seen_at = coalesce(excluded.seen_at, users.seen_at)",
            (user_id, language, name, timestamp(seen) if seen else None),
        )
        return User(id=user_id, language=language, name=name)

    async def get(self, user_id: int) -> User | None:
        row = await self._ex.fetch_one("SELECT id, language, name FROM users WHERE id = ?", (user_id,))
        return User.model_validate(dict(row)) if row else None

    async def names(self, user_ids: Iterable[int]) -> dict[int, str]:
        ids = sorted(set(user_ids))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self._ex.fetch_all(f"SELECT id, name FROM users WHERE id IN ({marks})", ids)
        return {int(r["id"]): r["name"] or f"id {r['id']}" for r in rows}

    async def menus(self) -> list[tuple[int, str | None, str | None, str]]:
        """Every user: (id, the menu last set in their chat, their role now, their language)."""
        rows = await self._ex.fetch_all(
            "SELECT u.id, u.menu, u.language, CASE WHEN max(m.role = 'owner') = 1 THEN 'owner' "
            "WHEN count(m.user_id) > 0 THEN 'courier' END AS role "
            "FROM users u LEFT JOIN memberships m ON m.user_id = u.id GROUP BY u.id"
        )
        return [(int(r["id"]), r["menu"], r["role"], str(r["language"])) for r in rows]

    async def set_menu(self, user_id: int, menu: str | None) -> None:
        await self._ex.execute("UPDATE users SET menu = ? WHERE id = ?", (menu, user_id))

    async def role(self, user_id: int) -> str | None:
        """ "owner" if the user owns a shop, "courier" if they only work in some, else None."""
        row = await self._ex.fetch_one(
            "SELECT CASE WHEN max(role = 'owner') THEN 'owner' WHEN count(*) THEN 'courier' END AS role "
            "FROM memberships WHERE user_id = ?",
            (user_id,),
        )
        return str(row["role"]) if row and row["role"] else None

    async def forget_strangers(self, unseen_since: dt.datetime, now: dt.datetime) -> int:
        """Users not seen since `unseen_since` who hold nothing here: no shop, no team, no operation
        or batch, no invite of theirs still open. Their settings, recent delivery services and alert
        switches go with them (ON DELETE CASCADE), and so do alert messages still due to them. (Their
        conversations went before: those end after 7 days.)"""
        stranger = (
            "coalesce(users.seen_at, users.updated_at) < ? "
            "AND NOT EXISTS (SELECT 1 FROM shops WHERE shops.owner_id = users.id) "
            "AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id) "
            "AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.user_id = users.id) "
            "AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.user_id = users.id) "
            "AND NOT EXISTS (SELECT 1 FROM invites i WHERE i.created_by = users.id "
            "AND i.used_by IS NULL AND i.expires_at > ?)"
        )
        moments = (timestamp(unseen_since), timestamp(now))
        await self._ex.execute(
            f"DELETE FROM alert_deliveries WHERE user_id IN (SELECT id FROM users WHERE {stranger})", moments
        )
        return await self._ex.execute(f"DELETE FROM users WHERE {stranger}", moments)
