"""Benchmarks, not tests: `uv run python -m tests.benchmarks.run`. Everything on 127.0.0.1.

1. The Market transport on one key: 200 GETs against a fake Market answering in 20 ms.
   With 2 requests in flight the ceiling is 100 requests/s. (The fake still validates each request
   against the spec, ~3 ms of CPU on the same event loop.)
2. The dispatcher: 300 plain updates through the real middlewares and routers (fake Telegram).
3. 30 couriers of one shop confirming track codes at once (fake Market answering in 20 ms):
   time from pressing «Отправить» to the result, p50 and p95.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Update
from cryptography.fernet import Fernet

from bot.app import build_deps, create_dispatcher, install_session_middlewares
from bot.market.client import MarketClient
from bot.market.transport import MarketTransport
from bot.telegram.middlewares import FloodControl
from storage.db import Database
from storage.fsm import SQLiteStorage
from storage.secrets import SecretBox
from tests.conftest import OWNER_KEY, seed_shop
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import FakeTelegram, callback_query, find_button, message


async def bench_transport(market: FakeMarket) -> str:
    market.latency = 0.02
    transport = MarketTransport(market.url)
    client = MarketClient(transport)
    started = time.perf_counter()
    await asyncio.gather(*(client.get_campaign(OWNER_KEY, 1001) for _ in range(200)))
    elapsed = time.perf_counter() - started
    await transport.aclose()
    return (
        f"transport: 200 GETs on one key in {elapsed:.2f} s = {200 / elapsed:.0f} req/s "
        f"(ceiling 100); max in flight {market.max_in_flight[OWNER_KEY]}, 420s {market.rejected_parallel}"
    )


async def main() -> None:
    market, telegram = FakeMarket(), FakeTelegram()
    market.check_responses = False  # measure the bot, not the fake's own spec checks
    market.add_campaign(1001, "dbs-shop.example")
    market.add_key(OWNER_KEY, {1001})
    market.add_order(1001, 42)
    await market.start()
    await telegram.start()
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bench.sqlite3")
        box = SecretBox(Fernet.generate_key())
        transport = MarketTransport(market.url)
        bot = Bot(telegram.token, session=AiohttpSession(api=TelegramAPIServer.from_base(telegram.url)))
        deps = build_deps(bot, db, MarketClient(transport), box)
        install_session_middlewares(bot)
        dp = create_dispatcher(storage=SQLiteStorage(db), deps=deps, flood=FloodControl(limit=10**6))
        try:
            print(await bench_transport(market))
            market.latency = 0.0
            ids = iter(range(1, 10**7))

            async def feed(update: dict[str, object]) -> None:
                await dp.feed_update(bot, Update.model_validate(update, context={"bot": bot}))

            started = time.perf_counter()
            for n in range(300):
                await feed({"update_id": next(ids), "message": message(7000 + n % 10, "/help", n, "ru")})
            elapsed = time.perf_counter() - started
            rate = 300 / elapsed
            print(f"dispatcher: 300 updates one after another in {elapsed:.2f} s = {rate:.0f} updates/s")

            couriers = list(range(8000, 8030))
            await seed_shop(db, box, 1, couriers=tuple(couriers))
            for n in range(len(couriers)):
                market.add_order(1001, 9000 + n)
            market.latency = 0.02
            latencies: list[float] = []

            async def courier_flow(n: int, courier: int) -> None:
                for text in (f"/track {9000 + n}", "СДЭК"):
                    await feed({"update_id": next(ids), "message": message(courier, text, n, "ru")})
                before = len(telegram.calls)
                await feed({"update_id": next(ids), "message": message(courier, f"BENCH-{n}", n, "ru")})
                data, _ = find_button(telegram.calls[before:], "Отправить")
                pressed = time.perf_counter()
                query = callback_query(courier, data, message_id=1, language="ru")
                await feed({"update_id": next(ids), "callback_query": query})
                latencies.append(time.perf_counter() - pressed)

            started = time.perf_counter()
            await asyncio.gather(*(courier_flow(n, c) for n, c in enumerate(couriers)))
            elapsed = time.perf_counter() - started
            ok = sum(1 for c in market.calls("setOrderDeliveryTrackCode") if c.status == 200)
            q = statistics.quantiles(latencies, n=20)
            print(
                f"burst: 30 couriers, whole flows in {elapsed:.2f} s; «Отправить» to result "
                f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {q[18] * 1000:.0f} ms; "
                f"{ok} tracks accepted; max in flight {market.max_in_flight[OWNER_KEY]}, "
                f"420s {market.rejected_parallel}"
            )
        finally:
            await bot.session.close()
            await transport.aclose()
            await db.close()
            await telegram.stop()
            await market.stop()


if __name__ == "__main__":
    asyncio.run(main())
