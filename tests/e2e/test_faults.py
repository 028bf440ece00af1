"""Fault injection against the real process: a busy Market, lost answers, restarts, a burst of users."""

from __future__ import annotations

import asyncio
import sqlite3

from tests.conftest import OWNER_KEY
from tests.e2e.conftest import Launcher, RunningBot, seed_shop
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import Call

OWNER = 801


def said(calls: list[Call]) -> str:
    return "\n".join(str(c.params.get("text", "")) for c in calls if "text" in c.params)


async def to_confirm(bot: RunningBot, user: int, order_id: int, code: str) -> list[Call]:
    await bot.say(user, f"/track {order_id}")
    await bot.say(user, "СДЭК")
    return await bot.say(user, code)


async def wait_message(
    bot: RunningBot,
    chat_id: int,
    text_part: str,
    timeout: float = 30,
    methods: tuple[str, ...] = ("sendMessage",),
) -> str:
    """Wait for a message (by default a new one, as the retry worker sends) containing `text_part`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for method in methods:
            for params in bot.telegram.sent(method, chat_id=chat_id):
                if text_part in str(params.get("text", "")):
                    return str(params["text"])
        await asyncio.sleep(0.05)
    raise AssertionError(f"{chat_id} never got {text_part!r}")


def operations(launcher: Launcher) -> list[tuple[int, str]]:
    with sqlite3.connect(launcher.database_path) as conn:
        return conn.execute("SELECT order_id, status FROM operations ORDER BY id").fetchall()


async def test_500_then_420_then_success_is_queued_then_reported_once(
    launcher: Launcher, market: FakeMarket
) -> None:
    await seed_shop(launcher, OWNER)
    market.add_order(1001, 42)
    bot = await launcher.start()
    confirm = await to_confirm(bot, OWNER, 42, "CDEK-1")
    market.fail("setOrderDeliveryTrackCode", status=500)
    market.fail("setOrderDeliveryTrackCode", status=420, retry_after="1")
    queued = said(await bot.tap(OWNER, confirm, "Отправить"))
    assert "⏳" in queued and "42" in queued
    assert "CDEK-1" in await wait_message(bot, OWNER, "✅")
    await launcher.stop(bot)
    assert [c.status for c in market.calls("setOrderDeliveryTrackCode")] == [500, 420, 200]
    assert operations(launcher) == [(42, "done")]


async def test_timeout_whose_request_landed_is_reported_without_a_second_send(
    launcher: Launcher, market: FakeMarket
) -> None:
    await seed_shop(launcher, OWNER)
    market.add_order(1001, 42)
    bot = await launcher.start()
    confirm = await to_confirm(bot, OWNER, 42, "LOST-ANSWER")
    market.fail("setOrderDeliveryTrackCode", delay=3.0, apply=True)  # MARKET_TIMEOUT_SECONDS is 2
    await bot.tap(OWNER, confirm, "Отправить")
    await wait_message(bot, OWNER, "⏳", methods=("editMessageText",))
    await wait_message(bot, OWNER, "✅")
    await launcher.stop(bot)
    assert len(market.calls("setOrderDeliveryTrackCode")) == 1
    assert operations(launcher) == [(42, "done")]


async def test_sigterm_with_work_pending_then_restart_resumes_everything(
    launcher: Launcher, market: FakeMarket
) -> None:
    courier = 802
    await seed_shop(launcher, OWNER, couriers=[courier])
    market.add_order(1001, 42)
    market.add_order(1001, 43)
    bot = await launcher.start()
    confirm = await to_confirm(bot, OWNER, 42, "PENDING-1")
    market.fail("setOrderDeliveryTrackCode", status=503, retry_after="3")
    assert "⏳" in said(await bot.tap(OWNER, confirm, "Отправить"))
    card = said(await bot.say(courier, "/track 43"))  # a conversation in progress
    assert "Заказ №43" in card

    await launcher.stop(bot)  # within 10 s, exit 0
    assert operations(launcher) == [(42, "pending")]

    bot = await launcher.start()
    assert "PENDING-1" in await wait_message(bot, OWNER, "✅")
    asked = said(await bot.say(courier, "СДЭК"))
    assert "трек-номер" in asked, "the courier's conversation went on after the restart"
    confirm = await bot.say(courier, "AFTER-RESTART")
    assert "✅" in said(await bot.tap(courier, confirm, "Отправить"))
    await launcher.stop(bot)
    assert [c.status for c in market.calls("setOrderDeliveryTrackCode")] == [503, 200, 200]
    assert operations(launcher) == [(42, "done"), (43, "done")]


async def test_burst_of_30_users_on_one_key(launcher: Launcher, market: FakeMarket) -> None:
    couriers = list(range(900, 930))
    await seed_shop(launcher, OWNER, couriers=couriers)
    for n, _ in enumerate(couriers):
        market.add_order(1001, 5000 + n)
    market.latency = 0.03
    bot = await launcher.start()

    async def courier_flow(n: int, courier: int) -> None:
        confirm = await to_confirm(bot, courier, 5000 + n, f"BURST-{n}")
        await bot.tap(courier, confirm, "Отправить")
        await wait_message(bot, courier, "✅", methods=("editMessageText", "sendMessage"))

    await asyncio.gather(*(courier_flow(n, c) for n, c in enumerate(couriers)))
    await launcher.stop(bot)
    posts = market.calls("setOrderDeliveryTrackCode")
    assert sorted(c.body["trackCode"] for c in posts if c.status == 200) == sorted(
        f"BURST-{n}" for n in range(30)
    )
    assert market.max_in_flight[OWNER_KEY] <= 2
    assert market.rejected_parallel == 0, "the bot never caused a 420"


async def test_sigterm_while_a_confirmation_waits_on_the_market(
    launcher: Launcher, market: FakeMarket
) -> None:
    await seed_shop(launcher, OWNER)
    market.add_order(1001, 42)
    bot = await launcher.start()
    confirm = await to_confirm(bot, OWNER, 42, "MID-FLIGHT")
    market.fail("setOrderDeliveryTrackCode", delay=8.0, apply=True)  # lands, but answers late
    push = bot.telegram.push_callback(OWNER, "cf:send:x", message_id=1)  # a stale one, answered at once
    await bot.telegram.exchange(push, chat_id=OWNER)
    await bot.tap(OWNER, confirm, "Отправить")
    while not market.calls("setOrderDeliveryTrackCode"):
        await asyncio.sleep(0.02)

    await launcher.stop(bot)  # exit 0 within 10 s, no traceback
    assert operations(launcher)[0][1] in ("sending", "pending")

    bot = await launcher.start()
    assert "MID-FLIGHT" in await wait_message(bot, OWNER, "✅")
    await launcher.stop(bot)
    assert len(market.calls("setOrderDeliveryTrackCode")) == 1, "the landed request was not repeated"
    assert operations(launcher) == [(42, "done")]
