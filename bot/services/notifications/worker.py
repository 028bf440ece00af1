"""The notifications worker: takes what the endpoint wrote to the inbox, oldest first, and does what
each says (`Effects.act`), recording the outcome. A notification written is acted on once, also after a
crash between writing and acting (it is still `new` in the inbox); the Market not answering leaves it
for the next turn. It also tells the order poller which shops' notifications arrive (the poller then
polls them only as a backstop)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import Literal

from bot.domain.clock import utcnow
from bot.domain.notifications import PING, MarketEvent
from bot.market.errors import MarketError
from bot.services.background import Loop
from bot.services.notifications.effects import Effects
from bot.services.notifications.inbox import MarketInbox

logger = logging.getLogger(__name__)

TURN_EVERY = 5.0  # seconds between turns when nothing woke the worker (a notification wakes it at once)
BATCH = 50  # notifications taken a turn
AT_ONCE = 4  # acted on at the same time (the key takes 2 Market calls in flight; the rest is Telegram)


class NotificationWorker:
    def __init__(
        self,
        inbox: MarketInbox,
        effects: Effects,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._inbox = inbox
        self._effects = effects
        self._clock = clock
        self._heard: dict[int | None, dt.datetime] = {}  # campaign (None: a PING) → when last heard
        self._loop = Loop("notifications", self.turn, every=TURN_EVERY)

    @property
    def alive(self) -> bool:
        return self._loop.alive

    def start(self) -> None:
        self._loop.start()

    async def stop(self, grace: float) -> None:
        await self._loop.stop(grace)

    def heard(self, event: MarketEvent) -> None:
        """The endpoint wrote (or answered) `event`: its shop's notifications arrive; act now."""
        self._heard[None if event.kind == PING else event.campaign_id] = self._clock()
        if event.kind != PING:
            self._loop.wake()

    def last_seen(self, campaign_id: int) -> dt.datetime | None:
        """When a notification about this campaign (or a PING, which the whole cabinet's address gets)
        last arrived, in this process's life."""
        times = [t for t in (self._heard.get(campaign_id), self._heard.get(None)) if t is not None]
        return max(times, default=None)

    async def turn(self) -> None:
        """Act on what waits, oldest first: a few at once (each mostly waits on the Market), those
        about one order one after another. A Market that does not answer ends the turn (retried)."""
        while due := await self._inbox.due(BATCH):
            groups: dict[object, list[tuple[int, MarketEvent]]] = {}
            for inbox_id, event in due:
                key = (event.campaign_id, event.order_id) if event.order_id is not None else inbox_id
                groups.setdefault(key, []).append((inbox_id, event))
            slots = asyncio.Semaphore(AT_ONCE)
            waiting = asyncio.Event()  # the Market did not answer: the rest waits for the next turn
            await asyncio.gather(*(self._act_on(group, slots, waiting) for group in groups.values()))
            if self._loop.stopping or waiting.is_set():
                return

    async def _act_on(
        self, group: list[tuple[int, MarketEvent]], slots: asyncio.Semaphore, waiting: asyncio.Event
    ) -> None:
        """One order's notifications, one after another, each in one of the turn's `slots`."""
        for inbox_id, event in group:
            if self._loop.stopping or waiting.is_set():
                return
            async with slots:
                if not await self._act(inbox_id, event):
                    waiting.set()
                    return

    async def _act(self, inbox_id: int, event: MarketEvent) -> bool:
        """One notification acted on and its outcome recorded; False when the Market did not answer."""
        try:
            outcome = await self._effects.act(event)
        except MarketError as exc:  # only a retryable one reaches here: tried next turn
            logger.info("market notification %s waits: %s", inbox_id, type(exc).__name__)
            return False
        except Exception:  # a bug on one notification must not hold back those after it
            logger.exception("market notification %s could not be acted on", inbox_id)
            await self._inbox.finish(inbox_id, "failed", "failed:error")
            return True
        await self._inbox.finish(inbox_id, _state_of(outcome), outcome)
        if event.campaign_id is not None:
            self._heard.setdefault(event.campaign_id, event.at)
        return True


def _state_of(outcome: str) -> Literal["done", "ignored", "failed"]:
    if outcome.startswith("ignored"):
        return "ignored"
    return "failed" if outcome.startswith("failed") else "done"
