"""The `users` table: who has talked to the bot, their language and display name."""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.records import User
from storage.db import Executor


class UsersRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    async def ensure(self, user_id: int) -> None:
        """Make sure the user has a row (others refer to it), keeping what is known."""
        await self._ex.execute("INSERT OR IGNORE INTO users (id) VALUES (?)", (user_id,))

    async def upsert(self, user_id: int, language: str, name: str | None = None) -> User:
        await self._ex.execute(
            "INSERT INTO users (id, language, name) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "language = excluded.language, name = coalesce(excluded.name, users.name), "
            "updated_at = excluded.updated_at "
            "WHERE users.language != excluded.language OR users.name IS NOT excluded.name",
            (user_id, language, name),
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
