"""Fault injection only a real process can show: SIGTERM with work queued, a conversation in progress
and a confirmation waiting on the Market, then a restart that loses and repeats nothing.

(Queued retries, lost answers and a burst of couriers are covered in process: tests/handlers.)
"""

from __future__ import annotations

import asyncio
import sqlite3

from tests.e2e.conftest import Launcher, RunningBot, seed_shop
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import Call

OWNER, COURIER = 801, 802


def said(calls: list[Call]) -> str:
    return "\n".join(str(c.params.get("text", "")) for c in calls if "text" in c.params)


async def to_confirm(bot: RunningBot, user: int, order_id: int, code: str) -> list[Call]:
    await bot.say(user, f"/track {order_id}")
    await bot.say(user, "СДЭК")
    return await bot.say(user, code)


async def wait_message(bot: RunningBot, chat_id: int, text_part: str, timeout: float = 30) -> str:
    """Wait for a new message (as the retry worker sends) containing `text_part`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for params in bot.telegram.sent("sendMessage", chat_id=chat_id):
            if text_part in str(params.get("text", "")):
                return str(params["text"])
        await asyncio.sleep(0.05)
    raise AssertionError(f"{chat_id} never got {text_part!r}")


def operations(launcher: Launcher) -> dict[int, str]:
    with sqlite3.connect(launcher.database_path) as conn:
        return dict(conn.execute("SELECT order_id, status FROM operations ORDER BY id").fetchall())


async def test_sigterm_with_work_queued_and_in_flight_then_restart_resumes_everything(
    launcher: Launcher, market: FakeMarket
) -> None:
    await seed_shop(launcher, OWNER, couriers=[COURIER])
    for order_id in (42, 43, 44):
        market.add_order(1001, order_id)
    bot = await launcher.start()

    # Queued: the Market was busy, the worker will try again in 3 s.
    confirm = await to_confirm(bot, OWNER, 42, "PENDING-1")
    market.fail("setOrderDeliveryTrackCode", status=503, retry_after="3", order_id=42)
    assert "⏳" in said(await bot.tap(OWNER, confirm, "Отправить"))
    # In progress: a courier's conversation at the service step.
    assert "Заказ №43" in said(await bot.say(COURIER, "/track 43"))
    # In flight: a confirmation whose request lands at the Market but is answered late.
    confirm = await to_confirm(bot, OWNER, 44, "MID-FLIGHT")
    market.fail("setOrderDeliveryTrackCode", delay=8.0, apply=True, order_id=44)
    push = bot.telegram.push_callback(OWNER, "cf:send:1:x", message_id=1)  # a stale one, answered at once
    await bot.telegram.exchange(push, chat_id=OWNER)
    await bot.tap(OWNER, confirm, "Отправить")
    while not [c for c in market.calls("setOrderDeliveryTrackCode") if c.body["trackCode"] == "MID-FLIGHT"]:
        await asyncio.sleep(0.02)

    await launcher.stop(bot)  # within 10 s, exit 0, no traceback
    before = operations(launcher)
    assert before[42] == "pending" and before[44] in ("sending", "pending")

    bot = await launcher.start()
    assert "PENDING-1" in await wait_message(bot, OWNER, "PENDING-1")
    assert "MID-FLIGHT" in await wait_message(bot, OWNER, "MID-FLIGHT")
    asked = said(await bot.say(COURIER, "СДЭК"))
    assert "трек-номер" in asked, "the courier's conversation went on after the restart"
    confirm = await bot.say(COURIER, "AFTER-RESTART")
    assert "✅" in said(await bot.tap(COURIER, confirm, "Отправить"))
    await launcher.stop(bot)

    sent = [(c.body["trackCode"], c.status) for c in market.calls("setOrderDeliveryTrackCode")]
    assert sent.count(("PENDING-1", 503)) == 1 and sent.count(("PENDING-1", 200)) == 1
    assert [code for code, _ in sent].count("MID-FLIGHT") == 1, "the landed request was not repeated"
    assert ("AFTER-RESTART", 200) in sent
    assert operations(launcher) == {42: "done", 43: "done", 44: "done"}
