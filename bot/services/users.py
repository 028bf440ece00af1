"""People who talk to the bot: their language and the name their team sees."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Iterable

from bot.domain.clock import utcnow
from storage.db import Database
from storage.repositories import MetaRepo, UsersRepo

KNOWN = 10_000  # users whose language and name are remembered in memory too (most recently seen)


class UsersService:
    def __init__(self, db: Database, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._users = UsersRepo(db)
        self._clock = clock
        self._known: OrderedDict[int, tuple[str, str, dt.date]] = OrderedDict()

    async def seen(self, user_id: int, language: str, name: str) -> None:
        """Remember the user's current language and name, and that they were here today (housekeeping
        forgets strangers long unseen). Called for every update: the database is written only when
        these differ from what this process last wrote, so at most once a day for each user."""
        when = self._clock()
        now = (language, name[:100], when.date())
        if self._known.get(user_id) == now:
            self._known.move_to_end(user_id)
            return
        await self._users.upsert(user_id, language, name[:100], seen=when)
        self._known[user_id] = now
        self._known.move_to_end(user_id)
        if len(self._known) > KNOWN:
            self._known.popitem(last=False)

    async def language(self, user_id: int) -> str | None:
        user = await self._users.get(user_id)
        return user.language if user else None

    async def names(self, user_ids: Iterable[int]) -> dict[int, str]:
        return await self._users.names(user_ids)

    async def role(self, user_id: int) -> str | None:
        """The user's role: "owner" if they own a shop, "courier" if they only work in some, else None."""
        return await self._users.role(user_id)


class MenuRecords:
    """What each chat's command menu was last set to, and the default menus' fingerprint: a start sets
    only what is out of date (bot/telegram/menus.py sets them)."""

    DEFAULTS = "menus"  # the meta key of the default menus' fingerprint

    def __init__(self, db: Database) -> None:
        self._db = db

    async def defaults(self) -> str | None:
        return await MetaRepo(self._db).get(self.DEFAULTS)

    async def set_defaults(self, fingerprint: str) -> None:
        await MetaRepo(self._db).put(self.DEFAULTS, fingerprint)

    async def chats(self) -> list[tuple[int, str | None, str | None, str]]:
        """Every user: (id, the menu last set in their chat, their role now, their language)."""
        return await UsersRepo(self._db).menus()

    async def role_and_language(self, user_id: int) -> tuple[str | None, str]:
        """The user's role now ("owner", "courier" or None) and language."""
        users = UsersRepo(self._db)
        user = await users.get(user_id)
        return await users.role(user_id), user.language if user else "ru"

    async def set(self, user_id: int, menu: str | None) -> None:
        await UsersRepo(self._db).set_menu(user_id, menu)
