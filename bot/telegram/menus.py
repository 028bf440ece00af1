"""The command menu (setMyCommands), by language and by role.

Someone with no shop sees what gets them started; a courier the commands a courier may use; an owner
also /team and /settings. The role menus are set in each user's own chat (chat scope) when their role
changes (they connect a shop, join a team, are removed, the shop is handed over or disconnected), and
at start for anyone whose menu is out of date (the menu set is kept in `users.menu`). The bot's
description and short description are set in both languages too. What is set at start is skipped
when nothing changed since the last start.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat

from bot.services.background import Tasks
from bot.services.users import MenuRecords
from bot.telegram.i18n import LANGUAGES, Catalogue, Texts

logger = logging.getLogger(__name__)

NEWCOMER = ("settings", "help", "cancel")
COURIER = ("track", "date", "order", "orders", "chats", "history", "alerts", "shop", "cancel", "help")
OWNER = (
    "track",
    "date",
    "order",
    "orders",
    "chats",
    "history",
    "alerts",
    "team",
    "settings",
    "shop",
    "cancel",
    "help",
)
MENUS = {None: NEWCOMER, "courier": COURIER, "owner": OWNER}
SYNC_PAUSE = 0.05  # seconds between two users' menus at start (well inside Telegram's limits)


def commands(t: Texts, role: str | None) -> list[BotCommand]:
    return [BotCommand(command=c, description=t.plain(f"command-{c}")) for c in MENUS[role]]


class Menus:
    def __init__(self, bot: Bot, catalogue: Catalogue, records: MenuRecords) -> None:
        self._bot = bot
        self._catalogue = catalogue
        self._records = records
        self._catching_up = Tasks()

    async def at_start(self) -> None:
        """The default menu and the descriptions (unless unchanged), then each out-of-date chat menu
        in the background."""
        fingerprint = hashlib.sha256(
            repr([(lang, self._defaults(lang)) for lang in LANGUAGES]).encode()
        ).hexdigest()
        if await self._records.defaults() != fingerprint:
            try:
                for lang in LANGUAGES:
                    t = self._catalogue.texts(lang)
                    code = None if lang == "ru" else lang
                    await self._bot.set_my_commands(
                        commands(t, None), scope=BotCommandScopeAllPrivateChats(), language_code=code
                    )
                    await self._bot.set_my_description(t.plain("bot-description"), language_code=code)
                    await self._bot.set_my_short_description(
                        t.plain("bot-short-description"), language_code=code
                    )
            except TelegramAPIError as exc:  # a courtesy: no reason to fail a start; set at the next one
                logger.warning("default menus not set now: %s", type(exc).__name__)
            else:
                await self._records.set_defaults(fingerprint)
        self._catching_up.spawn(self._catch_up(), name="menus")

    def _defaults(self, lang: str) -> tuple[object, ...]:
        t = self._catalogue.texts(lang)
        return (
            [(c.command, c.description) for c in commands(t, None)],
            t.plain("bot-description"),
            t.plain("bot-short-description"),
            {role: [(c.command, c.description) for c in commands(t, role)] for role in ("courier", "owner")},
        )

    async def _catch_up(self) -> None:
        """Each chat menu that is out of date. A menu is a convenience: a fault is logged (by `Tasks`)
        and the next start tries again."""
        for user_id, menu, role, lang in await self._records.chats():
            if menu != self._menu_of(role, lang):
                await self._set(user_id, role, lang)
                await asyncio.sleep(SYNC_PAUSE)

    @staticmethod
    def _menu_of(role: str | None, lang: str) -> str | None:
        return f"{role}:{lang}" if role else None

    async def follow(self, user_ids: Iterable[int]) -> None:
        """These users' roles may have changed: their chat menus follow."""
        for user_id in dict.fromkeys(user_ids):
            await self._set(user_id, *await self._records.role_and_language(user_id))

    async def _set(self, user_id: int, role: str | None, lang: str) -> None:
        scope = BotCommandScopeChat(chat_id=user_id)
        try:
            if role is None:
                await self._bot.delete_my_commands(scope=scope)
            else:
                await self._bot.set_my_commands(commands(self._catalogue.texts(lang), role), scope=scope)
        except TelegramAPIError as exc:  # a chat that blocked the bot, a network fault: tried next start
            logger.warning("menu of one chat not set: %s", type(exc).__name__)
            return
        await self._records.set(user_id, self._menu_of(role, lang))

    async def stop(self) -> None:
        """A catch-up still running stops now (the next start goes on with it)."""
        await self._catching_up.stop(0)
