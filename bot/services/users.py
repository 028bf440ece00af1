"""People who talk to the bot: their language and the name their team sees."""

from __future__ import annotations

from collections.abc import Iterable

from storage.db import Database
from storage.repositories import UsersRepo


class UsersService:
    def __init__(self, db: Database) -> None:
        self._users = UsersRepo(db)

    async def seen(self, user_id: int, language: str, name: str) -> None:
        """Remember the user's current language and name (a write only when either changed)."""
        await self._users.upsert(user_id, language, name[:100])

    async def language(self, user_id: int) -> str | None:
        user = await self._users.get(user_id)
        return user.language if user else None

    async def names(self, user_ids: Iterable[int]) -> dict[int, str]:
        return await self._users.names(user_ids)
