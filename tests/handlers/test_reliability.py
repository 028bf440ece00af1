"""Nothing lost, nothing sent twice: queued operations, the retry worker, restarts, Telegram failures."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from aiogram.fsm.storage.memory import MemoryStorage

from bot.app import build_worker, create_dispatcher
from bot.domain.clock import utcnow
from bot.domain.operations import TrackCode
from bot.telegram.middlewares import FloodControl
from storage.db import Database
from storage.repositories import OperationsRepo
from tests.conftest import OWNER_KEY, add_courier
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import Call, find_button
from tests.handlers.conftest import COURIER, OWNER, Harness, texts

pytestmark = pytest.mark.usefixtures("shop")


async def to_confirm(harness: Harness, code: str = "TRK-1", user: int = OWNER) -> list[Call]:
    await harness.send(user, "/track 42")
    await harness.send(user, "СДЭК")
    return await harness.send(user, code)


async def operation_row(db: Database) -> tuple[str, int]:
    row = await db.fetch_one("SELECT status, attempts FROM operations")
    assert row is not None
    return row["status"], row["attempts"]


async def test_busy_market_queues_then_reports_success_once(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    market.add_order(1001, 42)
    confirm = await to_confirm(harness)
    market.fail("setOrderDeliveryTrackCode", status=500)
    market.fail("setOrderDeliveryTrackCode", status=420, retry_after="1")
    queued = texts(await harness.press_button(OWNER, confirm, "Отправить"))
    assert "⏳" in queued and "42" in queued

    final = await harness.wait_sent("✅")
    assert "TRK-1" in final and "42" in final
    assert [c.status for c in market.calls("setOrderDeliveryTrackCode")] == [500, 420, 200]
    assert await operation_row(db) == ("done", 3)


async def test_timeout_whose_request_landed_is_not_sent_again(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    market.add_order(1001, 42)
    confirm = await to_confirm(harness)
    market.fail("setOrderDeliveryTrackCode", delay=2.5, apply=True)  # the client gives up after 2 s
    assert "⏳" in texts(await harness.press_button(OWNER, confirm, "Отправить"))
    await harness.wait_sent("✅")
    assert len(market.calls("setOrderDeliveryTrackCode")) == 1, "the worker saw the track and sent nothing"
    assert await operation_row(db) == ("done", 2)


async def test_restart_between_the_markets_reply_and_its_recording(
    harness: Harness, market: FakeMarket, db: Database, shop: int
) -> None:
    market.add_order(1001, 42, tracks=[{"trackCode": "LANDED-1", "deliveryServiceId": 51}])
    ops = OperationsRepo(db)
    op = await ops.create(
        user_id=OWNER,
        shop_id=shop,
        order_id=42,
        action=TrackCode(track_code="LANDED-1", delivery_service_id=51),
        idempotency_key="crash",
        now=utcnow(),
    )
    await ops.claim(op.id, utcnow())  # it was being sent when the process died

    await harness.worker.stop()
    restarted = build_worker(harness.deps, poll_interval=0.05, owed_after=0.2)
    await restarted.start()
    try:
        assert "LANDED-1" in await harness.wait_sent("✅")
    finally:
        await restarted.stop()
    assert market.calls("setOrderDeliveryTrackCode") == []
    assert (await operation_row(db))[0] == "done"


async def test_redelivered_confirmation_update_sends_once(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 42)
    confirm = await to_confirm(harness)
    data, _ = find_button(confirm, "Отправить")
    update = harness.callback_update(OWNER, data)
    first = await harness.feed(update)
    second = await harness.feed(update)  # Telegram delivers the same update_id again
    assert "✅" in texts(first)
    assert "уже отправлено" in texts(second)
    assert len(market.calls("setOrderDeliveryTrackCode")) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_client_errors_are_final_at_once(
    harness: Harness, market: FakeMarket, db: Database, status: int
) -> None:
    market.add_order(1001, 42)
    confirm = await to_confirm(harness)
    market.fail("setOrderDeliveryTrackCode", status=status, message=f"refused {status}")
    assert "❌" in texts(await harness.press_button(OWNER, confirm, "Отправить"))
    await asyncio.sleep(0.3)  # the worker would have retried by now
    assert len(market.calls("setOrderDeliveryTrackCode")) == 1
    assert await operation_row(db) == ("failed", 1)


async def test_gives_up_after_the_window_and_says_why(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    market.add_order(1001, 42)
    confirm = await to_confirm(harness)
    market.fail("setOrderDeliveryTrackCode", times=50, status=503, message="Service overloaded")
    market.fail("getBusinessOrders", times=200, status=503, message="Service overloaded")
    assert "⏳" in texts(await harness.press_button(OWNER, confirm, "Отправить"))
    day_ago = (utcnow() - dt.timedelta(hours=25)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    await db.execute("UPDATE operations SET created_at = ?", (day_ago,))
    final = await harness.wait_sent("❌")
    assert "Service overloaded" in final and "42" in final
    assert (await operation_row(db))[0] == "failed"


async def test_stop_during_an_attempt_then_restart_loses_and_repeats_nothing(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    market.add_order(1001, 42)
    confirm = await to_confirm(harness)
    market.fail("setOrderDeliveryTrackCode", status=503)
    assert "⏳" in texts(await harness.press_button(OWNER, confirm, "Отправить"))
    # The worker's retry lands at the Market but its answer takes long; the bot stops meanwhile.
    market.fail("setOrderDeliveryTrackCode", delay=1.5, apply=True)
    while len(market.calls("setOrderDeliveryTrackCode")) < 2:
        await asyncio.sleep(0.02)
    await harness.worker.stop(grace=0.1)
    assert (await operation_row(db))[0] == "sending"

    restarted = build_worker(harness.deps, poll_interval=0.05, owed_after=0.2)
    await restarted.start()
    try:
        await harness.wait_sent("✅")
    finally:
        await restarted.stop()
    statuses = [c.status for c in market.calls("setOrderDeliveryTrackCode")]
    assert len(statuses) == 2, "no third request: the second had landed"
    assert statuses[0] == 503


async def test_expired_callback_query_still_sends(harness: Harness, market: FakeMarket, db: Database) -> None:
    market.add_order(1001, 42)
    confirm = await to_confirm(harness)
    harness.telegram.fail(
        "answerCallbackQuery", 400, "Bad Request: query is too old and response timeout expired"
    )
    result = await harness.press_button(OWNER, confirm, "Отправить")
    assert "✅" in texts(result)
    assert await operation_row(db) == ("done", 1)


async def test_unmodified_edit_and_failed_reply_do_not_lose_the_operation(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    market.add_order(1001, 42)
    confirm = await to_confirm(harness)
    harness.telegram.fail("editMessageText", 400, "Bad Request: message is not modified")
    await harness.press_button(OWNER, confirm, "Отправить")
    assert await operation_row(db) == ("done", 1)

    market.add_order(1001, 43)
    await harness.send(OWNER, "/track 43")
    await harness.send(OWNER, "СДЭК")
    confirm = await harness.send(OWNER, "TRK-2")
    harness.telegram.fail("editMessageText", 500, "Internal Server Error")
    harness.telegram.fail("sendMessage", 500, "Internal Server Error", times=3)
    await harness.press_button(OWNER, confirm, "Отправить")
    rows = await db.fetch_all("SELECT order_id, status FROM operations ORDER BY id")
    assert [tuple(r) for r in rows] == [(42, "done"), (43, "done")]
    assert "✅" in texts(await harness.send(OWNER, "/history"))


def paced(harness: Harness, flood: FloodControl) -> None:
    harness.dp = create_dispatcher(storage=MemoryStorage(), deps=harness.deps, flood=flood)


async def burst(harness: Harness, user: int, texts_in_order: list[str]) -> list[list[Call]]:
    """Messages arriving together, in this order (as a fast typist or a forwarded batch sends them)."""
    return list(await asyncio.gather(*(harness.send(user, text) for text in texts_in_order)))


async def test_a_fast_courier_loses_nothing_and_codes_go_to_their_orders(
    harness: Harness, market: FakeMarket, db: Database, shop: int
) -> None:
    await add_courier(db, harness.box, shop, COURIER)
    market.add_order(1001, 43)
    market.add_order(1001, 44)
    paced(harness, FloodControl(limit=3, period=0.6))
    await burst(harness, COURIER, ["/track 43", "СДЭК", "T-43", "/track 44", "СДЭК", "T-44"])
    answers = [p["text"] for p in harness.telegram.sent("sendMessage", chat_id=COURIER)]
    notices = [a for a in answers if "🐢" in a]
    assert len(notices) == 1, "told once that it is slowing down, not that anything was lost"
    replies = [a for a in answers if "🐢" not in a]
    assert len(replies) == 6, "every message was answered"
    assert "Заказ №43" in replies[0] and "Пришлите трек-номер" in replies[1]
    assert "№43" in replies[2] and "T-43" in replies[2]
    assert "Заказ №44" in replies[3] and "Пришлите трек-номер" in replies[4]
    assert "№44" in replies[5] and "T-44" in replies[5]


async def test_a_forwarded_batch_of_20_is_handled_whole_and_in_order(harness: Harness) -> None:
    paced(harness, FloodControl(limit=5, period=0.2))
    await burst(harness, COURIER, [f"сообщение {n}" for n in range(20)])
    answers = [p["text"] for p in harness.telegram.sent("sendMessage", chat_id=COURIER)]
    assert sum("Не понял" in a for a in answers) == 20


async def test_only_an_inhuman_flood_is_cut_and_the_user_told_once_which(harness: Harness) -> None:
    paced(harness, FloodControl(limit=1000, period=1, max_backlog=5))
    press = harness.press(COURIER, "cf:send:1:abcdef")  # «Отправить» is never refused
    results = await asyncio.gather(*(harness.send(COURIER, f"спам {n}") for n in range(10)), press)
    assert any(c.method == "answerCallbackQuery" for c in results[-1]), "the press went through"
    answers = [p["text"] for p in harness.telegram.sent("sendMessage", chat_id=COURIER)]
    assert sum("Не понял" in a for a in answers) == 5
    [skipped] = [a for a in answers if "пропустил" in a]
    assert all(f"спам {n}" in skipped for n in range(5, 10)) and "спам 4" not in skipped


async def test_a_flooding_user_cannot_take_the_keys_slots_from_others(
    harness: Harness, market: FakeMarket, db: Database, shop: int
) -> None:
    await add_courier(db, harness.box, shop, COURIER)
    market.add_order(1001, 42)
    market.latency = 0.05
    flood = [harness.send(COURIER, "/track 42") for _ in range(20)]
    results = await asyncio.gather(*flood, to_confirm(harness, "CALM-1"))
    confirmation = [c for c in results[-1] if c.method == "sendMessage"][-1]
    assert "Отправить" in str(confirmation.params.get("reply_markup"))
    assert market.max_in_flight[OWNER_KEY] <= 2
    assert market.rejected_parallel == 0


@pytest.mark.parametrize(
    ("status", "description"),
    [(500, "Internal Server Error"), (502, "Bad Gateway"), (429, "Too Many Requests: retry after 7")],
)
async def test_a_failing_answer_to_the_press_loses_nothing(
    harness: Harness, market: FakeMarket, db: Database, status: int, description: str
) -> None:
    market.add_order(1001, 42)
    confirm = await to_confirm(harness)
    harness.telegram.fail("answerCallbackQuery", status, description)
    result = await harness.press_button(OWNER, confirm, "Отправить")
    assert "✅" in texts(result), "the operation went on and its result was shown"
    assert await operation_row(db) == ("done", 1)
    assert len(market.calls("setOrderDeliveryTrackCode")) == 1
    again = await harness.press_button(OWNER, confirm, "Отправить")
    assert "уже отправлено" in texts(again) and len(market.calls("setOrderDeliveryTrackCode")) == 1
    assert await db.fetch_one("SELECT data FROM fsm WHERE data LIKE '%draft%'") is None, "draft gone"


async def test_a_result_telegram_could_not_show_is_delivered_later(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    market.add_order(1001, 42)
    confirm = await to_confirm(harness)
    harness.telegram.fail("editMessageText", 502, "Bad Gateway")
    harness.telegram.fail("sendMessage", 502, "Bad Gateway")
    await harness.press_button(OWNER, confirm, "Отправить")  # the result reaches nobody now
    delivered = await harness.wait_sent("✅ Трек-номер", since=len(harness.telegram.sent("sendMessage")))
    assert "TRK-1" in delivered and "42" in delivered
    # Marked told once Telegram has answered the send (a moment after the fake recorded it).
    for _ in range(100):
        row = await db.fetch_one("SELECT status, result_owed FROM operations")
        if row is not None and tuple(row) == ("done", 0):
            break
        await asyncio.sleep(0.02)
    assert row is not None and tuple(row) == ("done", 0)


async def test_an_answer_to_a_press_longer_than_telegram_takes_is_shortened_not_lost(
    harness: Harness,
) -> None:
    """«Уже ответил(а) <a 64-character name>: «…»» can pass Telegram's 200 characters for a toast."""
    await harness.bot.answer_callback_query("1", text="Ж" * 214, show_alert=True)
    [answer] = harness.telegram.sent("answerCallbackQuery")
    assert len(answer["text"]) == 200 and answer["text"].endswith("…")
