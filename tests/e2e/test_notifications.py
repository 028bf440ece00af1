"""The Market's push notifications, in a real process: a notification answered 200 is in the inbox, so
a bot killed (SIGKILL, no chance to finish anything) between answering and acting acts on it after its
restart — once.

(Everything else about the endpoint runs in process, through the real HTTP server:
tests/handlers/test_notification_flow.py, tests/handlers/test_market_notifications.py.)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from typing import Any

import aiohttp

from bot.domain.clock import MSK, utcnow
from tests.e2e.conftest import Launcher, seed_shop
from tests.fakes.market import FakeMarket
from tests.fakes.market_push import MarketPush

OWNER = 901
ORDER = 46
PATH = "/market/notification"


def cancellation_request(asked: dt.datetime) -> dict[str, Any]:
    return {
        "notificationType": "ORDER_CANCELLATION_REQUEST",
        "orderId": ORDER,
        "campaignId": 1001,
        "requestedAt": asked.isoformat(),
    }


def alerts(launcher: Launcher) -> list[str]:
    """Every cancellation alert about ORDER any of the bot's processes sent the owner."""
    return [
        str(c.params["text"])
        for c in launcher.telegram.calls
        if c.method == "sendMessage"
        and c.params.get("chat_id") == OWNER
        and f"просит отменить заказ №{ORDER}" in str(c.params.get("text", ""))
    ]


def inbox(launcher: Launcher) -> list[tuple[str, str | None]]:
    with sqlite3.connect(launcher.database_path) as conn:
        return conn.execute("SELECT state, outcome FROM market_inbox ORDER BY id").fetchall()


async def order_read(market: FakeMarket) -> None:
    """Until the bot's read of ORDER (getBusinessOrders by its number) has reached the Market."""
    async with asyncio.timeout(20):
        while not any(ORDER in (c.body.get("orderIds") or []) for c in market.calls("getBusinessOrders")):
            await asyncio.sleep(0.02)


async def wait_alert(launcher: Launcher) -> None:
    async with asyncio.timeout(30):
        while not alerts(launcher):
            await asyncio.sleep(0.02)


async def test_a_notification_answered_then_killed_before_acting_is_alerted_once_after_restart(
    launcher: Launcher, market: FakeMarket
) -> None:
    launcher.env.update(
        MARKET_NOTIFY_ALLOW="5.45.207.0/25",  # the Market's address below is in it
        TRUSTED_PROXIES="127.0.0.1/32",  # the test plays the reverse proxy: X-Forwarded-For is the source
        MARKET_TIMEOUT_SECONDS="60",  # the held read does not time out on its own
    )
    await seed_shop(launcher, OWNER)
    asked = utcnow().replace(microsecond=0) - dt.timedelta(minutes=10)
    market.add_order(1001, ORDER, "DELIVERY")
    # The Market's copy of the order lags its notification (the request not in it yet): no poll can
    # find the request, only the notification tells it — so without the worker acting, no alert.
    market.touch(1001, ORDER, asked - dt.timedelta(hours=1))
    market.hold("getBusinessOrders", order_id=ORDER)  # the worker's read of the order, held in flight
    bot = await launcher.start()
    url = f"http://127.0.0.1:{launcher.env['HTTP_PORT']}{PATH}"
    async with aiohttp.ClientSession() as http:
        answer = await MarketPush(http, url).send(cancellation_request(asked))  # checked against the contract
    assert answer.status_code == 200
    await order_read(market)  # the worker took it and is reading the order ...

    bot.process.kill()  # ... when the bot is killed: the read unanswered, nothing told
    await bot.process.communicate()
    await market.release()  # the held read is answered, to nobody
    assert alerts(launcher) == []
    assert inbox(launcher) == [("new", None)], "answered 200, so written before: still to be acted on"

    bot = await launcher.start()
    await wait_alert(launcher)
    async with aiohttp.ClientSession() as http:  # the Market sends it again: a duplicate, told nobody
        assert (await MarketPush(http, url).send(cancellation_request(asked))).status_code == 200
    await launcher.stop(bot)
    [alert] = alerts(launcher)
    assert f"Запрос от {asked.astimezone(MSK):%d.%m %H:%M}" in alert, "the buyer's own time"
    assert inbox(launcher) == [("done", "alerted")]
