"""Whole conversations through the dispatcher, in process: errors and English, a team from invite to
removal, a burst of couriers on one key. (They ran against `python -m bot` before; what only a real
process proves stays in tests/e2e.)"""

from __future__ import annotations

import asyncio
import re

from tests.conftest import OWNER_KEY, seed_shop
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import BOT_USERNAME, Call, keyboard
from tests.handlers.conftest import Harness, texts

OWNER, COURIER, OTHER = 1101, 1102, 1103


async def test_errors_cancel_and_english(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 50, "CANCELLED")
    market.add_order(1001, 51, "PROCESSING")
    await harness.send(OWNER, "/settings", language="en")
    campaigns = await harness.send(OWNER, OWNER_KEY, language="en")
    await harness.press_button(OWNER, campaigns, "dbs-shop.example", language="en")

    stopped = texts(await harness.send(OWNER, "/track 50", language="en"))
    assert "⛔" in stopped and "cancelled" in stopped
    missing = texts(await harness.send(OWNER, "/date 999", language="en"))
    assert "❌" in missing and "not found" in missing

    for status, code, message in [
        (401, "UNAUTHORIZED", "Api-Key token is invalid"),
        (403, "FORBIDDEN", "Access denied"),
        (400, "BAD_REQUEST", "Track code is invalid"),
    ]:
        await harness.send(OWNER, "/track 51", language="en")
        await harness.send(OWNER, "Boxberry", language="en")
        confirm = await harness.send(OWNER, f"BB-{status}", language="en")
        assert any("Send" in text for c in confirm for text, _ in keyboard(c.params))
        market.fail("setOrderDeliveryTrackCode", status=status, code=code, message=message)
        result = texts(await harness.press_button(OWNER, confirm, "Send", language="en"))
        assert "❌" in result and message in result and code in result, result

    # A 500 is not final: the user is told it is queued, then gets the result from the worker.
    await harness.send(OWNER, "/track 51", language="en")
    await harness.send(OWNER, "Boxberry", language="en")
    confirm = await harness.send(OWNER, "BB-500", language="en")
    market.fail("setOrderDeliveryTrackCode", status=500)
    sent_before = len(harness.telegram.sent("sendMessage"))
    queued = texts(await harness.press_button(OWNER, confirm, "Send", language="en"))
    assert "⏳" in queued and "51" in queued
    assert "BB-500" in await harness.wait_sent("✅", since=sent_before)

    await harness.send(OWNER, "/date 51", language="en")
    assert "Cancelled" in texts(await harness.send(OWNER, "/cancel", language="en"))
    assert "did not understand" in texts(await harness.send(OWNER, "2026-12-01", language="en"))
    assert market.calls("setOrderDeliveryDate") == []
    assert [c.status for c in market.calls("setOrderDeliveryTrackCode")] == [401, 403, 400, 500, 200]


async def test_invite_join_track_reuse_and_removal(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 42)
    await harness.send(OWNER, "/settings")
    connected = await harness.press_button(OWNER, await harness.send(OWNER, OWNER_KEY), "dbs-shop.example")
    assert "пригласите курьеров — /team" in texts(connected), "the next step is suggested"
    team = await harness.send(OWNER, "/team")
    invite = texts(await harness.press_button(OWNER, team, "Пригласить"))
    match = re.search(rf"https://t\.me/{BOT_USERNAME}\?start=([A-Za-z0-9_-]+)", invite)
    assert match, invite

    joined = texts(await harness.send(COURIER, f"/start {match.group(1)}"))
    assert "✅" in joined and "курьер" in joined
    reused = texts(await harness.send(OTHER, f"/start {match.group(1)}"))
    assert reused.startswith("⛔")

    await harness.send(COURIER, "/track 42")
    await harness.send(COURIER, "СДЭК")
    confirm = await harness.send(COURIER, "FROM-COURIER")
    assert "✅" in texts(await harness.press_button(COURIER, confirm, "Отправить"))
    [write] = market.calls("setOrderDeliveryTrackCode")
    assert write.api_key == OWNER_KEY and write.body["trackCode"] == "FROM-COURIER"

    await harness.send(COURIER, "/track 42")
    await harness.send(COURIER, "СДЭК")
    stale = await harness.send(COURIER, "AFTER-REMOVAL")
    team = await harness.send(OWNER, "/team")
    ask = await harness.press_button(OWNER, team, "Удалить")
    assert "больше не в команде" in texts(await harness.press_button(OWNER, ask, "Да"))
    assert texts(await harness.press_button(COURIER, stale, "Отправить")).startswith("⛔")
    assert texts(await harness.send(COURIER, "/date 42")).startswith("⛔")
    assert len(market.calls("setOrderDeliveryTrackCode")) == 1


async def test_burst_of_30_users_on_one_key(harness: Harness, market: FakeMarket) -> None:
    couriers = list(range(900, 930))
    await seed_shop(harness.db, harness.box, OWNER, couriers=tuple(couriers))
    for n, _ in enumerate(couriers):
        market.add_order(1001, 5000 + n)
    await harness.deps.orders.delivery_services.all(OWNER_KEY)  # a running shop has the reference cached
    market.latency = 0.03

    def mine(calls: list[Call], courier: int) -> list[Call]:
        """What the bot said to this courier (other couriers' replies interleave with it)."""
        return [c for c in calls if c.params.get("chat_id") in (courier, None)]

    async def courier_flow(n: int, courier: int) -> str:
        await harness.send(courier, f"/track {5000 + n}")
        await harness.send(courier, "СДЭК")
        confirm = mine(await harness.send(courier, f"BURST-{n}"), courier)
        return texts(mine(await harness.press_button(courier, confirm, "Отправить"), courier))

    results = await asyncio.gather(*(courier_flow(n, c) for n, c in enumerate(couriers)))
    assert all("✅" in r or "⏳" in r for r in results)
    async with asyncio.timeout(10):  # any that met a busy Market are finished by the worker
        while sum(c.status == 200 for c in market.calls("setOrderDeliveryTrackCode")) < 30:
            await asyncio.sleep(0.02)
    posts = market.calls("setOrderDeliveryTrackCode")
    assert sorted(c.body["trackCode"] for c in posts if c.status == 200) == sorted(
        f"BURST-{n}" for n in range(30)
    )
    assert market.max_in_flight[OWNER_KEY] <= 2
    assert market.rejected_parallel == 0, "the bot never caused a 420"


async def test_thirty_couriers_opening_track_at_once_make_one_read_for_the_list(
    harness: Harness, market: FakeMarket
) -> None:
    couriers = list(range(900, 930))
    await seed_shop(harness.db, harness.box, OWNER, couriers=tuple(couriers))
    market.add_order(1001, 5041, "PROCESSING")
    market.add_order(1001, 5042, "PROCESSING")
    market.latency = 0.05

    async def opened(courier: int) -> list[str]:
        calls = await harness.send(courier, "/track")
        return [text for c in calls if c.params.get("chat_id") == courier for text, _ in keyboard(c.params)]

    shown = await asyncio.gather(*(opened(c) for c in couriers))
    assert all([b[:5] for b in buttons] == ["…5041", "…5042"] for buttons in shown), "each got the list"
    assert len(market.calls("getBusinessOrders")) == 1, "one read for 30 lists"
