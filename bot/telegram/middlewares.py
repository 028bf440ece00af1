"""Outer middlewares: remember each user and their language; slow down a flooding user."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update, User

from bot.services.users import UsersService
from bot.telegram.i18n import Texts, language_of
from bot.telegram.safety import quietly

logger = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UserRecordMiddleware(BaseMiddleware):
    def __init__(self, users: UsersService) -> None:
        self._users = users

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is not None and not user.is_bot:
            name = user.full_name + (f" (@{user.username})" if user.username else "")
            await self._users.seen(user.id, language_of(user.language_code), name)
        return await handler(event, data)


class FloodControlMiddleware(BaseMiddleware):
    """At most `limit` updates per `period` seconds per user; the rest are dropped.

    The first dropped update gets one polite message; further ones are dropped quietly until the user
    slows down. Since each user's updates are handled one at a time, a flooding user also holds at most
    one of the 2 Market slots their shop's key has, leaving the other for everyone else.
    """

    def __init__(
        self, limit: int = 8, period: float = 4.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._period = period
        self._clock = clock
        self._seen: dict[int, deque[float]] = {}
        self._warned: set[int] = set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or self._allow(user.id):
            return await handler(event, data)
        if user.id not in self._warned:
            self._warned.add(user.id)
            await self._warn(event, data.get("t"))
        elif isinstance(event, Update) and event.callback_query is not None:
            await _answer_quietly(event.callback_query, None)
        return None

    def _allow(self, user_id: int) -> bool:
        now = self._clock()
        seen = self._seen.setdefault(user_id, deque())
        while seen and now - seen[0] > self._period:
            seen.popleft()
        if len(seen) >= self._limit:
            return False
        seen.append(now)
        if len(seen) <= self._limit // 2:
            self._warned.discard(user_id)
        if len(self._seen) > 10_000:  # forget users who went quiet
            for quiet in [u for u, s in self._seen.items() if not s or now - s[-1] > self._period]:
                del self._seen[quiet]
        return True

    @staticmethod
    async def _warn(event: TelegramObject, t: Texts | None) -> None:
        if t is None or not isinstance(event, Update):
            return
        text = t("flood-slow-down")
        if isinstance(event.message, Message):
            await quietly(event.message.answer(text), "send the slow-down notice")
        elif event.callback_query is not None:
            await _answer_quietly(event.callback_query, text)


async def _answer_quietly(query: CallbackQuery, text: str | None) -> None:
    await quietly(query.answer(text, show_alert=bool(text)), "answer a dropped button press")


class InFlightUpdates(BaseMiddleware):
    """Tracks the updates being handled, so shutdown can let them finish before closing the database.

    aiogram stops polling on SIGTERM but does not wait for handlers already running; without this,
    a handler waiting on the Market would find the database closed under it.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        task = asyncio.current_task()
        if task is None:
            return await handler(event, data)
        self._tasks.add(task)
        try:
            return await handler(event, data)
        finally:
            self._tasks.discard(task)

    async def drain(self, grace: float) -> None:
        """Wait up to `grace` seconds for running handlers, then cancel the rest.

        A cancelled confirmation leaves its operation recorded (pending or sending); the retry worker
        re-checks it with the Market on the next start, so it is neither lost nor sent twice.
        """
        running = [t for t in self._tasks if not t.done()]
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=grace)
        for task in late:
            task.cancel()
        if late:
            logger.warning("cancelled %d update handler(s) still running at shutdown", len(late))
            await asyncio.gather(*late, return_exceptions=True)
