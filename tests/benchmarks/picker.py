"""Benchmark, not a test: `uv run python -m tests.benchmarks.picker`. Everything on 127.0.0.1.

30 couriers of one shop (one key: 2 requests in flight) send /track in the same moment, against a fake
Market answering every call in 50 ms. Printed: the getBusinessOrders reads the bursts made, and each
courier's time from sending /track to the list of orders to pick from, p50 and p95 (goal p95 ≤ 500 ms).
Before each burst the shop's orders are written to (`forget`), so each burst starts with nothing kept.
The fake Market runs in a process of its own, as in bulk.py.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from multiprocessing.connection import Connection
from typing import Any

from aiogram.types import Update

from bot.app import create_dispatcher
from bot.telegram.middlewares import FloodControl
from storage.fsm import SQLiteStorage
from tests.benchmarks.wiring import wired
from tests.conftest import OWNER_KEY, seed_shop
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import message

COURIERS = tuple(range(8000, 8030))
BURSTS = 5
ORDERS = 40
LATENCY = 0.05
OWNER = 1


def run_market(conn: Connection) -> None:
    """The fake Market in this process: answers "reads" with its getBusinessOrders count, until "stop"."""

    async def serve() -> None:
        market = FakeMarket()
        market.check_responses = False  # measure the bot, not the fake's own spec checks
        market.add_campaign(1001, "dbs-shop.example")
        market.add_key(OWNER_KEY, {1001})
        for n in range(ORDERS):
            market.add_order(1001, 100_000 + n)
        market.latency = LATENCY
        conn.send(await market.start())
        while True:
            while not conn.poll():
                await asyncio.sleep(0.01)
            if conn.recv() != "reads":
                break
            conn.send((len(market.calls("getBusinessOrders")), market.rejected_parallel))
        await market.stop()

    asyncio.run(serve())


async def main() -> None:
    async with wired(run_market) as w:
        conn, bot, deps = w.market, w.bot, w.deps
        dp = create_dispatcher(storage=SQLiteStorage(w.db), deps=deps, flood=FloodControl(limit=10**6))
        ids = iter(range(1, 10**7))

        async def opened(courier: int) -> float:
            sent = time.perf_counter()
            update: dict[str, Any] = {
                "update_id": next(ids),
                "message": message(courier, "/track", next(ids), "ru"),
            }
            await dp.feed_update(bot, Update.model_validate(update, context={"bot": bot}))
            return time.perf_counter() - sent

        try:
            shop_id = await seed_shop(w.db, w.box, OWNER, couriers=COURIERS)
            await opened(OWNER)  # warm up: imports, the first connection
            conn.send("reads")
            before, _ = conn.recv()
            latencies: list[float] = []
            for _ in range(BURSTS):
                deps.orders.forget(shop_id, 0)  # a write to the shop's orders: nothing kept
                latencies += await asyncio.gather(*(opened(c) for c in COURIERS))
            conn.send("reads")
            after, rejected = conn.recv()
            q = statistics.quantiles(latencies, n=20)
            print(
                f"picker: {BURSTS} bursts of {len(COURIERS)} couriers' /track at once, "
                f"Market {LATENCY * 1000:.0f} ms: "
                f"{after - before} getBusinessOrders reads ({(after - before) / BURSTS:.1f} a burst); "
                f"/track to the list p50 {statistics.median(latencies) * 1000:.0f} ms, "
                f"p95 {q[18] * 1000:.0f} ms (goal ≤ 500 ms), "
                f"max {max(latencies) * 1000:.0f} ms; 420s {rejected}"
            )
        finally:
            conn.send("stop")


if __name__ == "__main__":
    asyncio.run(main())
