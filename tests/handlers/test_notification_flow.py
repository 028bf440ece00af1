"""A Market notification, end to end in one process: posted to the bot's HTTP endpoint (the real
server, checked against the contract), written to the inbox, acted on by the notifications worker,
told in Telegram — once, whatever comes twice or first."""

from __future__ import annotations

import datetime as dt
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
from tests.fakes.market_push import MarketPush
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
