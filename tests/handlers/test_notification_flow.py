"""A Market notification, end to end in one process: posted to the bot's HTTP endpoint (the real
server, checked against the contract), written to the inbox, acted on by the notifications worker,
told in Telegram — once, whatever comes twice or first."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from ipaddress import ip_network
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.domain.clock import MSK, utcnow
from bot.services.vitals import Vitals
from bot.telegram.health import Health, Metrics, add_routes
from bot.telegram.market_notify import MarketNotifications
from tests.fakes.market import FakeMarket
from tests.fakes.market_push import MarketPush, order_created, ping
from tests.fakes.serve import serve
from tests.handlers.conftest import OWNER, Harness

PATH = "/market/notification"
pytestmark = pytest.mark.usefixtures("shop")


@pytest.fixture
async def push(harness: Harness) -> AsyncIterator[MarketPush]:
    """The bot's endpoint, wired as the bot wires it (its inbox, its worker told of each one)."""
    deps = harness.deps
    endpoint = MarketNotifications(
        deps.inbox,
        path=PATH,
        allow=[ip_network("5.45.207.0/25")],
        trusted=[ip_network("127.0.0.1/32")],
        heard=deps.notifications.heard,
    )
    app = web.Application()
    add_routes(app, Health(Vitals(harness.db), Metrics()), endpoint)
    runner, url = await serve(app)
    try:
        async with aiohttp.ClientSession(base_url=url) as http:
            yield MarketPush(http, PATH)
    finally:
        await endpoint.stop(1.0)
        await runner.cleanup()


def requested(order_id: int, at: dt.datetime) -> dict[str, Any]:
    return {
        "notificationType": "ORDER_CANCELLATION_REQUEST",
        "orderId": order_id,
        "campaignId": 1001,
        "requestedAt": at.isoformat(),
    }


def cancellation_alerts(harness: Harness, order_id: int) -> list[str]:
    sent = harness.telegram.sent("sendMessage", OWNER)
    return [str(p["text"]) for p in sent if f"№{order_id}" in str(p["text"]) and "отмен" in str(p["text"])]


async def test_a_cancellation_request_is_told_once_from_its_notification(
    harness: Harness, market: FakeMarket, push: MarketPush
) -> None:
    market.add_order(1001, 43, "DELIVERY")
    asked = utcnow().replace(microsecond=0) - dt.timedelta(hours=2)
    market.request_cancel(1001, 43, at=asked)
    assert (await push.send(requested(43, asked))).status_code == 200
    await harness.deps.notifications.turn()
    [alert] = cancellation_alerts(harness, 43)
    assert f"Запрос от {asked.astimezone(MSK):%d.%m %H:%M}" in alert, "the buyer's own time"
    assert "через 45 ч 59 мин" in alert or "через 46 ч" in alert, "48 hours from it, two of them gone"

    assert (await push.send(requested(43, asked))).status_code == 200  # the Market sends it again
    await harness.deps.notifications.turn()
    await harness.deps.alert_poller.turn(poll_every=True)  # and the poller finds the same request
    assert len(cancellation_alerts(harness, 43)) == 1
    rows = await harness.db.fetch_all("SELECT state, outcome FROM market_inbox")
    assert [(r["state"], r["outcome"]) for r in rows] == [("done", "alerted")]


async def test_a_ping_makes_the_poller_a_backstop(harness: Harness, push: MarketPush) -> None:
    poller = harness.deps.alert_poller
    shop = await harness.deps.access.to(OWNER, 1)
    assert shop is not None
    before = poller.interval(1, shop.shop)
    assert (await push.send({"notificationType": "PING", "time": utcnow().isoformat()})).status_code == 200
    assert before < poller.interval(1, shop.shop) == poller.backstop_seconds


def burst() -> tuple[list[dict[str, Any]], set[int]]:
    """A thousand distinct notifications and the orders among them the bot is to tell the owner of.
    Most need no Market read (a campaign or a business no connected shop has: ignored), so the test
    stays fast; the 40 about the connected shop's orders are each read and alerted."""
    asked = utcnow().replace(microsecond=0) - dt.timedelta(hours=1)
    told = set(range(9001, 9041))
    bodies = [order_created(order) if order % 2 else requested(order, asked) for order in sorted(told)]
    bodies += [order_created(order, campaign_id=5555) for order in range(1, 481)]
    for chat in range(1, 241):
        common = {"chatId": chat, "businessId": 778}  # a business no shop here belongs to
        bodies.append({"notificationType": "CHAT_CREATED", **common, "createdAt": asked.isoformat()})
        bodies.append(
            {
                "notificationType": "CHAT_MESSAGE_SENT",
                **common,
                "messageId": str(50_000 + chat),  # a string of digits, as the contract has it
                "sentAt": asked.isoformat(),
            }
        )
    return bodies, told


async def test_a_thousand_notifications_at_once_are_all_recorded_and_acted_on_with_a_ping_answered(
    harness: Harness, market: FakeMarket, push: MarketPush
) -> None:
    bodies, told = burst()
    for order in told:
        if order % 2:
            market.add_new_order(1001, order)
        else:
            market.add_order(1001, order, "DELIVERY")
            market.request_cancel(1001, order)
    bodies.insert(500, ping())
    # The first of each type, and every answer to them, checked against the contract; the rest not (the
    # check, not the bot, would take most of the test's time).
    kinds = {body["notificationType"]: i for i, body in reversed(list(enumerate(bodies)))}
    checked = set(kinds.values())
    answers = await asyncio.gather(*(push.send(b, checked=i in checked) for i, b in enumerate(bodies)))
    assert [a.status_code for a in answers] == [200] * 1001
    assert answers[500].json()["name"] == "market-dbs-bot", "the PING among them was answered"

    for _ in range(3):  # the worker's turns until nothing waits (one does it all: a turn ends early
        # only when the Market does not answer)
        if not await harness.db.fetch_all("SELECT id FROM market_inbox WHERE state = 'new' LIMIT 1"):
            break
        await harness.deps.notifications.turn()
    rows = await harness.db.fetch_all(
        "SELECT kind, state, outcome, count(*) AS n FROM market_inbox WHERE kind != 'PING' "
        "GROUP BY kind, state, outcome"
    )
    assert {(r["kind"], r["state"], r["outcome"]): r["n"] for r in rows} == {
        ("ORDER_CANCELLATION_REQUEST", "done", "alerted"): 20,
        ("ORDER_CREATED", "done", "alerted"): 20,
        ("ORDER_CREATED", "ignored", "ignored:no-shop"): 480,
        ("CHAT_CREATED", "ignored", "ignored:no-shop"): 240,
        ("CHAT_MESSAGE_SENT", "ignored", "ignored:no-shop"): 240,
    }
    alerted = [
        int(match)
        for p in harness.telegram.sent("sendMessage", OWNER)
        for match in re.findall(r"(?:Новый заказ|просит отменить заказ) №(\d+)", str(p["text"]))
    ]
    assert sorted(alerted) == sorted(told), "each of the shop's orders told the owner once"
    reads = [c.body["orderIds"] for c in market.calls("getBusinessOrders") if c.body.get("orderIds")]
    assert sorted(order for ids in reads for order in ids) == sorted(told), "each read once"
