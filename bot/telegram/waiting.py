"""No silence while the bot waits: a handler that takes longer than about a second (the Market is
slow, mostly) shows «typing…» (aiogram's `ChatActionSender`, repeated while it runs), and past about
three seconds one line saying the Market answers slowly; the line is taken away when the handler is
done, its answer follows. One middleware for every message and press, so that no handler that asks
the Market (order steps, confirmations, card actions, bulk previews, the key check) is left out."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import Chat, Message, TelegramObject
from aiogram.utils.chat_action import ChatActionSender

from bot.telegram.i18n import Texts
from bot.telegram.safety import quietly


class Waiting(BaseMiddleware):
    """«typing…» after `typing_after` seconds, one line after `line_after`, while the handler runs.

    A handler done before `typing_after` (nearly all) costs one sleeping task, cancelled without
    waiting for it: its answer (a press's, too) goes out at once, before anything the handler left
    running in the background."""

    typing_after = 1.0
    line_after = 3.0

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get("event_chat")
        bot: Bot | None = data.get("bot")
        t: Texts | None = data.get("t")
        if chat is None or bot is None or t is None:
            return await handler(event, data)
        woke, done = asyncio.Event(), asyncio.Event()
        watch = asyncio.create_task(self._watch(bot, chat.id, t, woke, done))
        try:
            return await handler(event, data)
        finally:
            if not woke.is_set():  # quick: nothing was shown
                watch.cancel()
            else:
                done.set()
                said = await watch
                if said is not None:
                    await quietly(said.delete(), "take the waiting line away")

    async def _watch(
        self, bot: Bot, chat_id: int, t: Texts, woke: asyncio.Event, done: asyncio.Event
    ) -> Message | None:
        """«typing…» from `typing_after` until `done`, and the line at `line_after` unless done by
        then; returns the line sent."""
        await asyncio.sleep(self.typing_after)
        woke.set()
        async with ChatActionSender.typing(chat_id=chat_id, bot=bot):
            try:
                await asyncio.wait_for(done.wait(), max(0.0, self.line_after - self.typing_after))
            except TimeoutError:
                said = await quietly(bot.send_message(chat_id, t("market-slow")), "say the Market is slow")
                await done.wait()
                return said
        return None
