"""The notifications worker: a few notifications acted on at once (each mostly waits on the Market),
those about one order one after another and in the order they came; the Market not answering leaves
the rest for the next turn."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from bot.domain.notifications import MarketEvent, parse_event
from bot.market.errors import MarketTimeoutError as MarketTimeout
from bot.services.notifications.inbox import MarketInbox
from bot.services.notifications.worker import NotificationWorker
from storage.db import Database

T0 = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def requested(order_id: int, minute: int) -> MarketEvent:
    return parse_event(
        {
            "notificationType": "ORDER_CANCELLATION_REQUEST",
            "orderId": order_id,
            "campaignId": 1001,
            "requestedAt": (T0 + dt.timedelta(minutes=minute)).isoformat(),
        }
    )


class SlowEffects:
    """Takes a moment per event, noting what ran at the same time and in which order."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.running: set[int] = set()
        self.most_at_once = 0
        self.order: list[tuple[int | None, dt.datetime]] = []
        self.fail_on = fail_on

    async def act(self, event: MarketEvent) -> str:
        if event.order_id == self.fail_on:
            raise MarketTimeout("no answer")
        key = id(event)
        self.running.add(key)
        self.most_at_once = max(self.most_at_once, len(self.running))
        await asyncio.sleep(0.01)
        self.order.append((event.order_id, event.at))
        self.running.discard(key)
        return "alerted"


async def states(db: Database) -> list[tuple[Any, ...]]:
    rows = await db.fetch_all("SELECT order_id, state FROM market_inbox ORDER BY id")
    return [(r["order_id"], r["state"]) for r in rows]


async def test_different_orders_at_once_one_orders_in_turn(db: Database) -> None:
    inbox = MarketInbox(db)
    for minute, order_id in enumerate([1, 2, 1, 3, 4, 1]):
        assert await inbox.record(requested(order_id, minute), T0)
    effects = SlowEffects()
    await NotificationWorker(inbox, effects).turn()  # type: ignore[arg-type]
    assert 1 < effects.most_at_once <= 4
    ones = [at for order_id, at in effects.order if order_id == 1]
    assert ones == sorted(ones) and len(ones) == 3, "one order's notifications in the order they came"
    assert {state for _, state in await states(db)} == {"done"}


async def test_a_market_that_does_not_answer_leaves_the_rest_for_the_next_turn(db: Database) -> None:
    inbox = MarketInbox(db)
    assert await inbox.record(requested(7, 0), T0)
    effects = SlowEffects(fail_on=7)
    await NotificationWorker(inbox, effects).turn()  # type: ignore[arg-type]
    assert await states(db) == [(7, "new")], "kept, to be acted on later"
