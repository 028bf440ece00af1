"""Benchmark, not a test: `uv run python -m tests.benchmarks.chats`. Everything on 127.0.0.1.

One shop, 100 chats waiting for its answer, each with a buyer's message, and one buyer who wrote 300
messages; the fake Market (in a process of its own) answers every call in 50 ms. The chats' feed runs
as the bot runs it: the first poll (every chat read for the first time, its newest unanswered messages
told to the owner), a poll with nothing new, then a poll after every chat got one more message.
Printed for each: how long it took, the Market calls by method (the hourly limits: getChats 5,000,
getChatHistory 10,000, getChat and getChatMessage 1,000), and the messages the owner was shown.
"""

from __future__ import annotations

import asyncio
import collections
import time
from multiprocessing.connection import Connection

from tests.benchmarks.wiring import wired
from tests.conftest import OWNER_KEY, seed_shop
from tests.fakes.market import FakeMarket

CHATS = 100
FLOOD = 300
LATENCY = 0.05
OWNER = 1
CAMPAIGN = 1001


def run_market(conn: Connection) -> None:
    async def serve() -> None:
        market = FakeMarket()
        market.check_responses = False  # measure the bot, not the fake's own spec checks
        market.add_campaign(CAMPAIGN, "shop.example")
        market.add_key(OWNER_KEY, {CAMPAIGN})
        chats = []
        for n in range(CHATS):
            market.add_order(CAMPAIGN, 5000 + n, "DELIVERY")
            chats.append(market.add_chat(CAMPAIGN, 5000 + n))
            market.buyer_writes(chats[-1], f"Где заказ {n}?")
        for n in range(FLOOD):
            market.buyer_writes(chats[0], f"спам {n}")
        market.latency = LATENCY
        conn.send(await market.start())
        while True:
            while not conn.poll():
                await asyncio.sleep(0.01)
            asked = conn.recv()
            if asked == "stop":
                break
            if asked == "write":
                for chat_id in chats:
                    market.buyer_writes(chat_id, "И ещё вопрос")
            conn.send(collections.Counter(r.route for r in market.received))
            market.received.clear()
        await market.stop()

    asyncio.run(serve())


async def main() -> None:
    async with wired(run_market) as w:
        await seed_shop(w.db, w.box, OWNER, campaign=CAMPAIGN, domain="shop.example")
        feed = w.deps.chat_feed

        async def measured(what: str) -> None:
            shown_before = len(w.telegram.sent("sendMessage"))
            started = time.perf_counter()
            await feed.turn(poll_every=True)
            took = time.perf_counter() - started
            w.market.send("count")
            calls = w.market.recv()
            shown = len(w.telegram.sent("sendMessage")) - shown_before
            listed = ", ".join(f"{route} {n}" for route, n in sorted(calls.items()))
            print(f"chats: {what}: {took:.1f} s, {shown} messages shown; Market calls: {listed or 'none'}")

        print(f"chats: {CHATS} waiting chats, one with {FLOOD} more messages; Market answers in 50 ms")
        await measured("first poll")
        await measured("nothing new")
        w.market.send("write")
        w.market.recv()  # the writes' own calls: none
        await measured(f"one new message in each of {CHATS} chats")
        w.market.send("stop")


if __name__ == "__main__":
    asyncio.run(main())
