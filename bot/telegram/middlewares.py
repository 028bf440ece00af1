"""Outer middlewares: remember each user and their language; pace a flooding user; track running updates."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import CallbackQuery, TelegramObject, Update, User

from bot.services.background import finish_within
from bot.services.users import UsersService
from bot.telegram.i18n import Texts, language_of
from bot.telegram.safety import quietly
from bot.telegram.views import clip, skipped_list

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


@dataclass(slots=True)
class _Sender:
    arrivals: deque[float] = field(default_factory=deque)  # the last minute's, oldest first
    backlog: int = 0  # arrived, not finished
    next_start: float = 0.0  # when the next paced update may start
    paced: bool = False  # told "I am slowing down" in this burst
    skipped: list[str] = field(default_factory=list)


class FloodControl:
    """Paces each user's updates instead of dropping them, so no human input is ever lost.

    `arrival` (before the per-user lock) counts an update when it arrives. Beyond `limit` updates in
    `period` seconds, each further one is given a start `period / limit` seconds after the previous,
    and `pacing` (inside the lock, so order is kept) waits for it. Only what no person produces is
    refused: a backlog over `max_backlog` updates, or over `max_per_minute` a minute; the user is then
    told once which messages were skipped. Presses of «Отправить»/«Отправить все»/«Отмена» are never
    refused.
    """

    def __init__(
        self,
        limit: int = 10,
        period: float = 5.0,
        *,
        max_backlog: int = 50,
        max_per_minute: int = 120,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._gap = period / limit
        self._period = period
        self._max_backlog = max_backlog
        self._max_per_minute = max_per_minute
        self.clock = clock
        self._senders: dict[int, _Sender] = {}
        self.arrival = _Arrival(self)
        self.pacing = _Pacing(self)

    def sender(self, user_id: int) -> _Sender:
        sender = self._senders.get(user_id)
        if sender is None:
            sender = self._senders[user_id] = _Sender()
        return sender

    def admit(self, sender: _Sender, now: float, *, must_pass: bool) -> float | None:
        """When this update may start, or None to skip it."""
        while sender.arrivals and now - sender.arrivals[0] > 60.0:
            sender.arrivals.popleft()
        inhuman = sender.backlog >= self._max_backlog or len(sender.arrivals) >= self._max_per_minute
        if inhuman and not must_pass:
            return None
        sender.arrivals.append(now)
        recent = sum(1 for t in sender.arrivals if now - t <= self._period)
        start = now
        if recent > self._limit:
            start = max(now, sender.next_start)
            sender.next_start = start + self._gap
        return start

    def forget_idle(self, user_id: int) -> None:
        sender = self._senders.get(user_id)
        if sender is not None and sender.backlog == 0 and not sender.arrivals:
            del self._senders[user_id]
        if len(self._senders) > 10_000:  # users who went quiet long ago
            now = self.clock()
            for quiet in [u for u, s in self._senders.items() if not s.backlog and s.next_start < now - 60]:
                del self._senders[quiet]


def _is_confirmation(event: Update) -> bool:
    query = event.callback_query
    return query is not None and (query.data or "").startswith(("cf:", "bk:"))


def _summary(event: Update) -> str:
    if event.message is not None:
        return clip(event.message.text or event.message.caption or "📎", 40)
    return "🔘"


class _Arrival(BaseMiddleware):
    def __init__(self, flood: FloodControl) -> None:
        self._flood = flood

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or not isinstance(event, Update):
            return await handler(event, data)
        flood = self._flood
        sender = flood.sender(user.id)
        now = flood.clock()
        start = flood.admit(sender, now, must_pass=_is_confirmation(event))
        if start is None:
            sender.skipped.append(_summary(event))
            if event.callback_query is not None:
                await _answer_quietly(event.callback_query, None)
            return None
        t: Texts | None = data.get("t")
        if start > now and not sender.paced:
            sender.paced = True
            data[_TELL_PACED] = True  # said inside the lock: nothing here may wait, or order is lost
        data[_START] = start
        sender.backlog += 1
        try:
            return await handler(event, data)
        finally:
            sender.backlog -= 1
            if sender.backlog == 0:
                sender.paced = False
                if sender.skipped and t is not None:
                    skipped, sender.skipped = sender.skipped, []
                    text = t("flood-skipped", count=len(skipped), list=skipped_list(t, skipped))
                    await quietly(_bot_of(data).send_message(user.id, text), "list skipped messages")
                flood.forget_idle(user.id)


class _Pacing(BaseMiddleware):
    def __init__(self, flood: FloodControl) -> None:
        self._flood = flood

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        start: float | None = data.get(_START)
        t: Texts | None = data.get("t")
        if (
            data.get(_TELL_PACED)
            and t is not None
            and isinstance(event, Update)
            and event.message is not None
        ):
            await quietly(event.message.answer(t("flood-slow-down")), "send the slow-down notice")
        if start is not None:
            delay = start - self._flood.clock()
            if delay > 0:
                await asyncio.sleep(delay)
        return await handler(event, data)


_START = "flood_start_at"
_TELL_PACED = "flood_tell_paced"


def _bot_of(data: dict[str, Any]) -> Bot:
    bot: Bot = data["bot"]
    return bot


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
        late = await finish_within(self._tasks, grace)
        if late:
            logger.warning("cancelled %d update handler(s) still running at shutdown", len(late))
