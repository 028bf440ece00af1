"""Benchmark, not a test: `uv run python -m tests.benchmarks.events`. Everything on 127.0.0.1; ~50 s.

The Market's push notifications as the bot takes them (bot/app.py's wiring: `build_deps`, the endpoint
telling the notifications worker of each one, a real SQLite file), a fake Market answering every call
in 50 ms and a fake Telegram, both in this process (the fake Market's own spec checks off).

1. Event → message: 200 ORDER_CANCELLATION_REQUEST notifications for orders of 20 connected shops, one
   every 50 ms (10 s), the worker running. For each, the time from the POST leaving the "Market" to the
   fake Telegram receiving the alert's sendMessage: p50, p95, max (goal p95 ≤ 2 s), and the Market
   reads made per event (goal: one), and the rate the alerts went out at (the worker acts on one
   notification at a time, so a Market read's latency bounds it: when notifications come faster, the
   wait grows with the queue).
2. The poller's getBusinessOrders polls per shop in one hour: 10 shops on one key, the poller's
   clock and the event loop's clock (which times its intervals) driven over a simulated hour in its
   10 s ticks, once with notifications arriving (`last_seen` five minutes ago) and once without
   (goal ≤ 4 with them, ~30 without).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web
from cryptography.fernet import Fernet

from bot.app import Deps, build_deps, install_session_middlewares
from bot.domain.clock import utcnow
from bot.market.client import MarketClient
from bot.market.transport import MarketTransport
from bot.services.alerts.poller import TICK
from bot.services.vitals import Vitals
from bot.telegram.health import Health, Metrics, add_routes
from bot.telegram.market_notify import MarketNotifications
from storage.db import Database
from storage.secrets import SecretBox
from tests.conftest import OWNER_KEY, seed_shop
from tests.fakes.market import FakeMarket
from tests.fakes.market_push import MARKET_SOURCE
from tests.fakes.serve import serve
from tests.fakes.telegram import Call, FakeTelegram

PATH = "/market/notification"
OWNER = 1
LATENCY = 0.05
EVENTS = 200
EVERY = 0.05  # seconds between two notifications: 200 in 10 s
EVENT_SHOPS = 20
POLL_SHOPS = 10
FIRST_CAMPAIGN = 3001
HOUR = 3600
HEADERS = {"Content-Type": "application/json", "X-Forwarded-For": MARKET_SOURCE}


class StampedCalls(list[Call]):
    """The fake Telegram's calls, each stamped (perf_counter) as it arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.stamps: list[float] = []

    def append(self, call: Call) -> None:
        self.stamps.append(time.perf_counter())
        super().append(call)


class VirtualLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock can be moved ahead (the poller times its intervals with it)."""

    offset = 0.0

    def time(self) -> float:
        return super().time() + self.offset


@dataclass
class Bench:
    deps: Deps
    db: Database
    market: FakeMarket
    telegram: FakeTelegram
    calls: StampedCalls


@asynccontextmanager
async def wired(tmp: Path, shops: int, orders_per_shop: int = 0) -> AsyncIterator[Bench]:
    """The bot's services on a real SQLite file, `shops` shops of one key connected by OWNER, the fake
    Market holding `orders_per_shop` orders of each out for delivery with a cancellation request."""
    market = FakeMarket()
    market.check_responses = False  # measure the bot, not the fake's own spec checks
    campaigns = range(FIRST_CAMPAIGN, FIRST_CAMPAIGN + shops)
    asked = utcnow().replace(microsecond=0) - dt.timedelta(hours=1)
    for campaign in campaigns:
        market.add_campaign(campaign, f"shop-{campaign}.example")
        for n in range(orders_per_shop):
            market.add_order(campaign, campaign * 1000 + n, "DELIVERY")
            market.request_cancel(campaign, campaign * 1000 + n, at=asked)
    market.add_key(OWNER_KEY, set(campaigns))
    market.latency = LATENCY
    await market.start()
    calls = StampedCalls()
    telegram = FakeTelegram(calls=calls)
    await telegram.start()
    db = await Database.open(tmp / "bench.sqlite3")
    box = SecretBox(Fernet.generate_key())
    transport = MarketTransport(market.url)
    bot = Bot(telegram.token, session=AiohttpSession(api=TelegramAPIServer.from_base(telegram.url)))
    install_session_middlewares(bot)
    deps = build_deps(bot, db, MarketClient(transport), box)
    try:
        for campaign in campaigns:
            await seed_shop(db, box, OWNER, campaign=campaign, domain=f"shop-{campaign}.example")
        yield Bench(deps, db, market, telegram, calls)
    finally:
        await bot.session.close()
        await transport.aclose()
        await db.close()
        await telegram.stop()
        await market.stop()


def cancellation_request(order_id: int, campaign_id: int, at: dt.datetime) -> dict[str, Any]:
    return {
        "notificationType": "ORDER_CANCELLATION_REQUEST",
        "orderId": order_id,
        "campaignId": campaign_id,
        "requestedAt": at.isoformat(),
    }


async def event_to_message(tmp: Path) -> tuple[list[float], int, int, float]:
    """Latencies (s) of the alerts that arrived, how many did, the Market reads made, and the alerts
    sent per second (from the first POST to the last alert)."""
    per_shop = EVENTS // EVENT_SHOPS
    async with wired(tmp, EVENT_SHOPS, per_shop) as bench:
        deps = bench.deps
        endpoint = MarketNotifications(
            deps.inbox,
            path=PATH,
            allow=[ip_network("5.45.207.0/25")],
            trusted=[ip_network("127.0.0.1/32")],
            heard=deps.notifications.heard,
        )
        app = web.Application()
        add_routes(app, Health(Vitals(bench.db), Metrics()), endpoint)
        runner, url = await serve(app)
        deps.notifications.start()
        asked = utcnow().replace(microsecond=0) - dt.timedelta(hours=1)
        posted: dict[int, float] = {}
        reads_before = len(bench.market.calls("getBusinessOrders"))

        async def post(http: aiohttp.ClientSession, order_id: int, campaign_id: int) -> None:
            posted[order_id] = time.perf_counter()
            body = json.dumps(cancellation_request(order_id, campaign_id, asked))
            async with http.post(url + PATH, data=body, headers=HEADERS) as answer:
                await answer.read()
                assert answer.status == 200, answer.status

        try:
            async with aiohttp.ClientSession() as http:
                sending = []
                for n in range(EVENTS):
                    campaign = FIRST_CAMPAIGN + n % EVENT_SHOPS
                    order_id = campaign * 1000 + n // EVENT_SHOPS
                    sending.append(asyncio.ensure_future(post(http, order_id, campaign)))
                    await asyncio.sleep(EVERY)
                await asyncio.gather(*sending)
                deadline = time.perf_counter() + 30
                while len(arrivals(bench.calls)) < EVENTS and time.perf_counter() < deadline:
                    await asyncio.sleep(0.05)
        finally:
            await deps.notifications.stop(5.0)
            await endpoint.stop(1.0)
            await runner.cleanup()
        arrived = arrivals(bench.calls)
        reads = len(bench.market.calls("getBusinessOrders")) - reads_before
        latencies = [at - posted[order_id] for order_id, at in arrived.items() if order_id in posted]
        took = max(arrived.values(), default=0.0) - min(posted.values(), default=0.0)
        return latencies, len(arrived), reads, len(arrived) / took if took > 0 else 0.0


def arrivals(calls: StampedCalls) -> dict[int, float]:
    """Order number → when the fake Telegram received its cancellation alert."""
    found: dict[int, float] = {}
    for call, stamp in zip(list(calls), calls.stamps, strict=False):
        text = str(call.params.get("text", ""))
        number = re.search(r"№(\d+)", text)
        if call.method == "sendMessage" and "просит отменить" in text and number:
            found.setdefault(int(number[1]), stamp)
    return found


async def polls_per_hour(tmp: Path, notified: bool) -> Counter[int]:
    """The poller's polls (getBusinessOrders with an update-time window) per campaign over a simulated
    hour: the loop's clock and the poller's moved on by TICK after each turn."""
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualLoop)
    async with wired(tmp, POLL_SHOPS) as bench:
        poller = bench.deps.alert_poller
        start = utcnow()
        virtual = dt.timedelta()
        poller.clock = lambda: start + virtual
        poller.last_seen = (
            (lambda campaign_id: poller.clock() - dt.timedelta(minutes=5))
            if notified
            else (lambda campaign_id: None)
        )
        for tick in range(int(HOUR / TICK)):
            virtual = dt.timedelta(seconds=tick * TICK)
            loop.offset = tick * TICK
            await poller.turn()
        loop.offset = 0.0
        polled: Counter[int] = Counter()
        for call in bench.market.calls("getBusinessOrders"):
            if "updateDateFrom" in (call.body.get("dates") or {}):
                polled.update(call.body.get("campaignIds") or [])
        return polled


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        latencies, arrived, reads, rate = asyncio.run(event_to_message(Path(tmp) / "events"))
    with asyncio.Runner(loop_factory=VirtualLoop) as runner, tempfile.TemporaryDirectory() as tmp:
        with_events = runner.run(polls_per_hour(Path(tmp) / "with", notified=True))
    with asyncio.Runner(loop_factory=VirtualLoop) as runner, tempfile.TemporaryDirectory() as tmp:
        without = runner.run(polls_per_hour(Path(tmp) / "without", notified=False))

    print(f"events: fake Market answering in {LATENCY * 1000:.0f} ms, fake Telegram, all on 127.0.0.1")
    print(f"{'measure':58} {'value':>34}  goal")
    if latencies:
        spread = (
            f"p50 {statistics.median(latencies):.2f} s, p95 {percentile(latencies, 0.95):.2f} s, "
            f"max {max(latencies):.2f} s"
        )
    else:
        spread = "none arrived"
    print(f"{f'event → message, {EVENTS} requests in {EVENTS * EVERY:.0f} s':58} {spread:>34}  p95 ≤ 2 s")
    print(f"{'alerts that reached Telegram':58} {f'{arrived} of {EVENTS}':>34}  all")
    print(f"{'getBusinessOrders reads per event':58} {reads / EVENTS:>34.2f}  1")
    print(f"{'alerts sent per second (notifications came at 20/s)':58} {rate:>34.1f}")
    for name, polled in (("with notifications", with_events), ("without notifications", without)):
        counts = [polled.get(c, 0) for c in range(FIRST_CAMPAIGN, FIRST_CAMPAIGN + POLL_SHOPS)]
        value = f"{min(counts)}–{max(counts)} (mean {statistics.mean(counts):.1f})"
        goal = "≤ 4" if name.startswith("with ") else "~30"
        print(f"{f'poller polls per shop per hour, {name}':58} {value:>34}  {goal}")


if __name__ == "__main__":
    main()
