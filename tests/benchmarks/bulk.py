"""Benchmark, not a test: `uv run python -m tests.benchmarks.bulk`. Everything on 127.0.0.1.

The owner sends a 500-line batch against a fake Market answering every call in 50 ms; the key takes
2 requests in flight, so the pipe's limit is 500 × 50 ms / 2 = 12.5 s. Two seconds in, a courier of
the same shop (same key) sends one track code. Printed: the batch's wall time from «Отправить все»
to its report and its ratio to the limit (the goal is ≤ 1.3), the courier's time from «Отправить»
to the result (the goal is < 1 s), how often the progress message was edited, and the Market's view
(most requests in flight, 420s). The fake Market runs in a process of its own, as the real one is
elsewhere: its checks of each request against the spec would otherwise take the bot's event loop.
"""

from __future__ import annotations

import asyncio
import time
from multiprocessing.connection import Connection
from typing import Any

from aiogram.types import Update

from bot.app import build_worker, create_dispatcher
from bot.telegram.middlewares import FloodControl
from storage.fsm import SQLiteStorage
from tests.benchmarks.wiring import wired
from tests.conftest import OWNER_KEY, seed_shop
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import callback_query, find_button, message

LINES = 500
LATENCY = 0.05
OWNER, COURIER = 1, 2


def run_market(conn: Connection) -> None:
    """The fake Market in this process until told to stop; then what it saw goes back."""

    async def serve() -> None:
        market = FakeMarket()
        market.check_responses = False  # measure the bot, not the fake's own spec checks
        market.add_campaign(1001, "dbs-shop.example")
        market.add_key(OWNER_KEY, {1001})
        for n in range(LINES):
            market.add_order(1001, 100_000 + n)
        market.add_order(1001, 42)
        conn.send(await market.start())
        while True:
            while not conn.poll():
                await asyncio.sleep(0.02)
            if conn.recv() != "slow":
                break
            market.latency = LATENCY
            conn.send("ok")
        reads = len(market.calls("getBusinessOrders"))
        writes = [c for c in market.calls("setOrderDeliveryTrackCode") if c.status == 200]
        conn.send((reads, len(writes), market.max_in_flight[OWNER_KEY], market.rejected_parallel))
        await market.stop()

    asyncio.run(serve())


async def main() -> None:
    async with wired(run_market) as w:
        conn, telegram, db, box, bot, deps = w.market, w.telegram, w.db, w.box, w.bot, w.deps
        dp = create_dispatcher(storage=SQLiteStorage(db), deps=deps, flood=FloodControl(limit=10**6))
        worker = build_worker(deps)
        await worker.start()
        ids = iter(range(1, 10**7))

        async def feed(update: dict[str, Any]) -> list[Any]:
            before = len(telegram.calls)
            await dp.feed_update(bot, Update.model_validate(update, context={"bot": bot}))
            return telegram.calls[before:]

        async def say(user: int, text: str) -> list[Any]:
            return await feed({"update_id": next(ids), "message": message(user, text, next(ids), "ru")})

        async def press(user: int, calls: list[Any], label: str) -> list[Any]:
            data, _ = find_button(calls, label)
            query = callback_query(user, data, message_id=1, language="ru")
            return await feed({"update_id": next(ids), "callback_query": query})

        try:
            await seed_shop(db, box, OWNER, couriers=(COURIER,))
            listed = "\n".join(f"{100_000 + n} BULK-{n:04d}" for n in range(LINES))
            checked = time.perf_counter()
            preview = await say(OWNER, listed)
            check_time = time.perf_counter() - checked
            conn.send("slow")
            assert conn.recv() == "ok"
            started = time.perf_counter()
            await press(OWNER, preview, "Отправить все")

            async def courier() -> float:
                await asyncio.sleep(2.0)
                card = await say(COURIER, "/track 42")
                await press(COURIER, card, "СДЭК")
                confirm = await say(COURIER, "SOLO-1")
                pressed = time.perf_counter()
                await press(COURIER, confirm, "Отправить")
                return time.perf_counter() - pressed

            solo = asyncio.create_task(courier())
            while not any("Пакет отправлен" in str(c.params.get("text", "")) for c in telegram.calls):
                await asyncio.sleep(0.01)
            wall = time.perf_counter() - started
            solo_time = await solo
            limit = LINES * LATENCY / 2
            edits = sum(
                1
                for c in telegram.calls
                if c.method == "editMessageText" and "Пакет:" in str(c.params.get("text", ""))
            )
            conn.send("stop")
            reads, accepted, in_flight, rejected = conn.recv()
            print(f"bulk: {LINES} lines checked in {check_time:.2f} s ({reads} reads in all)")
            print(
                f"bulk: {LINES} lines sent in {wall:.2f} s; pipe limit {limit:.2f} s; "
                f"ratio {wall / limit:.2f} (goal ≤ 1.30); {accepted} accepted; progress edits {edits}"
            )
            print(
                f"bulk: a courier's single send during the batch: {solo_time * 1000:.0f} ms (goal < 1000 ms)"
            )
            print(f"bulk: max in flight {in_flight}, 420s {rejected}")
        finally:
            await worker.stop()
            await deps.bulk.stop(1.0)


if __name__ == "__main__":
    asyncio.run(main())
