"""Benchmark, not a test: `uv run python -m tests.benchmarks.alerts`. Everything on 127.0.0.1; it runs
for 130 s (ALERTS_BENCH_SECONDS to change).

200 shops share one API key (the worst case for the key's limits: getBusinessOrders allows 10,000
calls an hour per key) and the alert poller runs as the bot runs it, at the default interval of 120 s,
against a fake Market (in a process of its own) answering every call in 50 ms. Ten of the shops have a
buyer's cancellation request waiting. Meanwhile a user of one shop reads an order every second, as the
order card and the pickers do, and each user read is timed; the same reads are timed first with the
poller off. Printed: the poller's calls (when each round started, how long it took, the hourly rate
that follows), the alerts sent, the user's read times with and without the poller, and the most
requests the Market saw in flight for the key.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from multiprocessing.connection import Connection

from aiohttp import web

from bot.services.access import AccessService
from tests.benchmarks.wiring import wired
from tests.conftest import OWNER_KEY, seed_shop
from tests.fakes.market import FakeMarket

SHOPS = 200
LATENCY = 0.05
OWNER = 1
FIRST_CAMPAIGN = 2001
REQUESTS = 10  # shops with a cancellation request waiting
DURATION = float(os.environ.get("ALERTS_BENCH_SECONDS", "130"))
BASELINE_READS = 10


class TimedMarket(FakeMarket):
    """The fake Market, noting when each poll (a read of orders changed since ...) arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.polls: list[float] = []

    async def _business_orders(self, request: web.Request) -> web.Response:
        body = await request.json()
        if "updateDateFrom" in (body.get("dates") or {}):
            self.polls.append(time.monotonic())
        return await super()._business_orders(request)


def run_market(conn: Connection) -> None:
    async def serve() -> None:
        market = TimedMarket()
        market.check_responses = False  # measure the bot, not the fake's own spec checks
        campaigns = set(range(FIRST_CAMPAIGN, FIRST_CAMPAIGN + SHOPS))
        for campaign in campaigns:
            market.add_campaign(campaign, f"shop-{campaign}.example")
            for n in range(3):
                market.add_order(campaign, campaign * 10 + n, "DELIVERY" if n == 0 else "PROCESSING")
        for campaign in list(campaigns)[:REQUESTS]:
            market.request_cancel(campaign, campaign * 10)
        market.add_key(OWNER_KEY, campaigns)
        market.latency = LATENCY
        conn.send(await market.start())
        while not conn.poll():
            await asyncio.sleep(0.05)
        conn.recv()
        start = market.polls[0] if market.polls else 0.0
        conn.send(
            (
                [p - start for p in market.polls],
                market.max_in_flight.get(OWNER_KEY, 0),
                market.rejected_parallel,
            )
        )
        await market.stop()

    asyncio.run(serve())


def rounds(polls: list[float], gap: float = 30.0) -> list[tuple[float, float, int]]:
    """Poll rounds (start, duration, calls): a new one begins after a pause longer than `gap`."""
    found: list[list[float]] = []
    for at in polls:
        if not found or at - found[-1][-1] > gap:
            found.append([at])
        else:
            found[-1].append(at)
    return [(r[0], r[-1] - r[0], len(r)) for r in found]


def ms(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    median = statistics.median(values)
    return f"median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"


async def main() -> None:
    async with wired(run_market) as w:
        conn, telegram, db, box, deps = w.market, w.telegram, w.db, w.box, w.deps
        shop_ids = [
            await seed_shop(db, box, OWNER, campaign=c, domain=f"shop-{c}.example")
            for c in range(FIRST_CAMPAIGN, FIRST_CAMPAIGN + SHOPS)
        ]
        access = await AccessService(db, box).to(OWNER, shop_ids[-1])
        assert access is not None
        order_id = (FIRST_CAMPAIGN + SHOPS - 1) * 10 + 1

        async def user_read() -> float:
            started = time.perf_counter()
            await deps.orders.find(access, order_id)
            return time.perf_counter() - started

        baseline = []
        for _ in range(BASELINE_READS):
            baseline.append(await user_read())
            await asyncio.sleep(0.2)

        await deps.alert_poller.start()
        began = time.perf_counter()
        during: list[float] = []
        while time.perf_counter() - began < DURATION:
            during.append(await user_read())
            await asyncio.sleep(1.0)
        await deps.alert_poller.stop()
        conn.send("stop")
        polls, in_flight, rejected = conn.recv()
        found = rounds(polls)
        alerts = [c for c in telegram.calls if "просит отменить" in str(c.params.get("text", ""))]
        interval = deps.alert_poller.interval(SHOPS)
        print(
            f"alerts: {SHOPS} shops on one key, fake Market answering in {LATENCY * 1000:.0f} ms, "
            f"{DURATION:.0f} s"
        )
        for start, took, calls in found:
            print(f"alerts: poll round at {start:6.1f} s: {calls} calls in {took:.1f} s")
        print(
            f"alerts: interval per shop {interval:.0f} s → {SHOPS * 3600 / interval:,.0f} "
            "getBusinessOrders/h for the key (limit 10,000/h; the poller's share 6,000/h)"
        )
        print(f"alerts: cancellation alerts sent {len(alerts)} (requests waiting {REQUESTS})")
        print(f"alerts: a user's order read, poller off: {ms(baseline)}")
        print(f"alerts: a user's order read, poller on:  {ms(during)} ({len(during)} reads)")
        print(f"alerts: max in flight for the key {in_flight}, 420s {rejected}")


if __name__ == "__main__":
    asyncio.run(main())
