"""Benchmark, not a test: `uv run python -m tests.benchmarks.notifications`. Everything on 127.0.0.1.

The endpoint for the Market's push notifications, served as the bot serves it (real SQLite file,
synchronous=FULL), takes 1,000 ORDER_CREATED notifications sent at once (32 connections, as a busy
sender) with a PING sent in the middle of the burst. Printed: how long the burst took to be answered
and recorded, the PING's latency (budget: 1 s), and a PING's latency on an idle endpoint.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path

import aiohttp

from tests.fakes.market_push import MARKET_SOURCE, order_created, ping
from tests.handlers.test_market_notifications import PATH, open_endpoint

BURST = 1000


HEADERS = {"Content-Type": "application/json", "X-Forwarded-For": MARKET_SOURCE}


async def send(session: aiohttp.ClientSession, url: str, body: object) -> tuple[int, float]:
    started = time.perf_counter()
    async with session.post(url, data=json.dumps(body), headers=HEADERS) as answer:
        await answer.read()
        return answer.status, time.perf_counter() - started


async def main() -> None:
    async for endpoint in open_endpoint(Path(tempfile.mkdtemp())):
        url = str(endpoint.http.base_url).rstrip("/") + PATH
        async with (
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32)) as burst,
            aiohttp.ClientSession() as side,
        ):
            _, idle = await send(side, url, ping())
            started = time.perf_counter()
            sending = [asyncio.ensure_future(send(burst, url, order_created(n))) for n in range(1, BURST + 1)]
            await asyncio.sleep(0.05)  # the burst under way
            status, pinged = await send(side, url, {**ping(), "time": "2026-11-20T10:00:01+00:00"})
            answers = await asyncio.gather(*sending)
            took = time.perf_counter() - started
            [row] = await endpoint.db.fetch_all("SELECT count(*) FROM market_inbox WHERE state = 'new'")
            assert status == 200 and {s for s, _ in answers} == {200} and row[0] == BURST
            print(f"{BURST} notifications answered and recorded in {took:.2f} s ({BURST / took:.0f}/s)")
            print(f"PING during the burst: {pinged * 1000:.0f} ms; on an idle endpoint: {idle * 1000:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
