"""Fault injection only a real process can show: SIGTERM with work queued, a conversation in progress,
a confirmation waiting on the Market and a bulk send half done, then a restart that loses and repeats
nothing.

(Queued retries, lost answers and a burst of couriers are covered in process: tests/handlers.)
"""

from __future__ import annotations

import asyncio
import re
import sqlite3

from tests.e2e.conftest import Launcher, RunningBot, seed_shop, start_bot
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import Call

OWNER, COURIER, PACKER, DRIVER = 801, 802, 803, 804
BATCH = range(5000, 5010)


def said(calls: list[Call]) -> str:
    return "\n".join(str(c.params.get("text", "")) for c in calls if "text" in c.params)


async def to_confirm(bot: RunningBot, user: int, order_id: int, code: str) -> list[Call]:
    await bot.say(user, f"/track {order_id}")
    await bot.say(user, "СДЭК")
    return await bot.say(user, code)


async def wait_message(bot: RunningBot, chat_id: int, text_part: str, *, edits: bool = False) -> str:
    """Wait for a message from this process (as the retry worker sends) containing `text_part`; with
    `edits`, an edited one (a progress message turned into its report) will do too."""
    methods = ("sendMessage", "editMessageText") if edits else ("sendMessage",)
    async with asyncio.timeout(30):
        while True:
            for call in bot.telegram.calls[bot.since :]:
                text = str(call.params.get("text", ""))
                if call.method in methods and call.params.get("chat_id") == chat_id and text_part in text:
                    return text
            await asyncio.sleep(0.02)


async def wait_sent(market: FakeMarket, track_code: str) -> None:
    """Until a request with this track code has reached the Market."""
    async with asyncio.timeout(10):
        while track_code not in {c.body["trackCode"] for c in market.calls("setOrderDeliveryTrackCode")}:
            await asyncio.sleep(0.02)


def polls_of_changes(market: FakeMarket) -> list[object]:
    """The alert poller's calls (orders changed since its last look)."""
    return [c for c in market.calls("getBusinessOrders") if "updateDateFrom" in (c.body.get("dates") or {})]


def operations(launcher: Launcher) -> dict[int, str]:
    with sqlite3.connect(launcher.database_path) as conn:
        return dict(conn.execute("SELECT order_id, status FROM operations ORDER BY id").fetchall())


async def test_sigterm_with_work_queued_and_in_flight_then_restart_resumes_everything(
    launcher: Launcher, market: FakeMarket
) -> None:
    # Nothing times out on its own: what is in flight at the stop is so because the test holds it.
    launcher.env["MARKET_TIMEOUT_SECONDS"] = "60"
    await seed_shop(launcher, OWNER, couriers=[COURIER, PACKER, DRIVER])
    for order_id in (42, 43, 44, *BATCH):
        market.add_order(1001, order_id)
    market.add_order(1001, 45, "DELIVERY")
    market.request_cancel(1001, 45)  # a buyer asks to cancel: the poller finds it at start
    bot = await launcher.start()
    assert "№45" in await wait_message(bot, OWNER, "просит отменить заказ")
    preview = await bot.say(PACKER, "\n".join(f"{n} BULK-{n}" for n in BATCH))  # a bulk send, checked
    # In progress: a courier's conversation at the service step.
    assert "Заказ №43" in said(await bot.say(COURIER, "/track 43"))

    # In flight: a confirmation whose request lands at the Market, its answer held (and with it one of
    # the key's 2 slots) until the bot has stopped.
    confirm = await to_confirm(bot, DRIVER, 44, "MID-FLIGHT")
    push = bot.telegram.push_callback(OWNER, "cf:send:1:x", message_id=1)  # a stale one, answered at once
    await bot.exchange(push, OWNER)
    market.hold("setOrderDeliveryTrackCode", apply=True, order_id=44)
    bot.press(DRIVER, confirm, "Отправить")
    await wait_sent(market, "MID-FLIGHT")
    # Meanwhile a second bot is started on the same database by mistake: refused at once, it touches
    # nothing (it used to turn MID-FLIGHT back to pending and send it again).
    second = await start_bot(launcher.env, launcher.tmp_path)
    try:
        _, refused = await asyncio.wait_for(second.communicate(), timeout=20)
    finally:
        if second.returncode is None:
            second.kill()
            await second.wait()
    assert second.returncode == 2
    assert re.fullmatch(
        rf"the bot already runs on {re.escape(str(launcher.database_path))} \(pid {bot.process.pid} "
        r"on [^,]+, since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\): this copy exits\. "
        r"To restart the bot, stop that one first\n",
        refused.decode(),
    ), refused.decode()

    # Queued: the Market was busy, the worker will try again in 3 s; by then the bulk send below holds
    # the key's other slot, so not before the stop.
    confirm = await to_confirm(bot, OWNER, 42, "PENDING-1")
    market.fail("setOrderDeliveryTrackCode", status=503, retry_after="3", order_id=42)
    assert "⏳" in said(await bot.tap(OWNER, confirm, "Отправить"))
    # Half done: the bulk send's first three lines are sent, the fourth is held in flight, the rest wait.
    market.hold("setOrderDeliveryTrackCode", order_id=BATCH[3])
    bot.press(PACKER, preview, "Отправить все")  # pressed just before the stop
    await wait_sent(market, f"BULK-{BATCH[3]}")

    await launcher.stop(bot)  # within 10 s, exit 0, no traceback
    before = operations(launcher)
    assert before[42] in ("pending", "sending") and before[44] == "sending"
    assert [before[n] for n in BATCH[:3]] == ["done"] * 3
    assert "pending" in {before[n] for n in BATCH}, "the batch was cut short by the stop"
    await market.release()  # the held requests are answered, to nobody: MID-FLIGHT's landed, BULK's not

    polls = len(polls_of_changes(market))
    bot = await launcher.start()
    assert "✅" in await wait_message(bot, OWNER, "PENDING-1"), "told once it went through"
    assert "✅" in await wait_message(bot, DRIVER, "MID-FLIGHT")
    assert f"{len(BATCH)}/{len(BATCH)} ✅" in await wait_message(bot, PACKER, "Пакет отправлен", edits=True)
    asked = said(await bot.say(COURIER, "СДЭК"))
    assert "трек-номер" in asked, "the courier's conversation went on after the restart"
    confirm = await bot.say(COURIER, "AFTER-RESTART")
    assert "✅" in said(await bot.tap(COURIER, confirm, "Отправить"))
    async with asyncio.timeout(10):  # the restarted poller has looked again ...
        while len(polls_of_changes(market)) == polls:
            await asyncio.sleep(0.05)
    alerts = [c for c in bot.telegram.calls if "просит отменить заказ №45" in str(c.params.get("text", ""))]
    assert len(alerts) == 1, "... and the request was alerted once across the restart"
    answered = await bot.tap(OWNER, alerts, "Уже доставлен")  # the button of the first process's alert
    assert "«Уже доставлен»" in said(answered)
    await launcher.stop(bot)
    assert [c.body for c in market.calls("acceptOrderCancellation")] == [
        {"accepted": False, "reason": "ORDER_DELIVERED"}
    ]

    sent = [(c.body["trackCode"], c.status) for c in market.calls("setOrderDeliveryTrackCode")]
    assert sent.count(("PENDING-1", 503)) == 1 and sent.count(("PENDING-1", 200)) == 1
    assert [code for code, _ in sent].count("MID-FLIGHT") == 1, "the landed request was not repeated"
    assert ("AFTER-RESTART", 200) in sent
    assert operations(launcher) == {
        42: "done",
        43: "done",
        44: "done",
        45: "done",
        **dict.fromkeys(BATCH, "done"),
    }
    applied = [code for code, status in sent if code.startswith("BULK-") and status == 200]
    assert sorted(applied) == sorted(f"BULK-{n}" for n in BATCH), "each line of the batch landed once"
