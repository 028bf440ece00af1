"""/order: the card with only the actions its status allows, status steps through the outbox."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from bot.domain.clock import moscow_today
from tests.conftest import add_courier
from tests.fakes.market import BUYER_PHONE, FakeMarket
from tests.handlers.conftest import COURIER, OWNER, STRANGER, Harness, buttons_of, texts

pytestmark = pytest.mark.usefixtures("shop")


def database_bytes(folder: Path) -> bytes:
    """Everything SQLite wrote: the database file and its WAL."""
    return b"".join(p.read_bytes() for p in folder.glob("bot.sqlite3*"))


async def test_a_courier_marks_an_order_out_for_delivery_then_delivered(
    harness: Harness, market: FakeMarket
) -> None:
    await add_courier(harness.db, harness.box, 1, COURIER)
    market.add_order(1001, 42, "PROCESSING")
    card = await harness.send(COURIER, "/order 42")
    assert "Заказ №42" in texts(card)
    assert buttons_of(card) == [
        "🚚 Передан в доставку",
        "🔢 Трек-номер",
        "📅 Перенести дату",
        "📞 Телефон покупателя",
        "💬 Написать покупателю",
    ]
    confirm = await harness.press_button(COURIER, card, "Передан в доставку")
    assert "Новый статус: передан в доставку" in texts(confirm)
    assert market.calls("updateOrderStatus") == [], "nothing is sent before «Отправить»"
    done = await harness.press_button(COURIER, confirm, "Отправить")
    assert "✅ Заказ №42: статус «передан в доставку»" in texts(done)

    card = await harness.send(COURIER, "/order 42")
    assert buttons_of(card)[0] == "✅ Доставлен", "the next step, and only that one"
    days = await harness.press_button(COURIER, card, "Доставлен")
    assert buttons_of(days)[:2] == ["Сегодня", "Вчера"]
    confirm = await harness.press_button(COURIER, days, "Сегодня")
    done = await harness.press_button(COURIER, confirm, "Отправить")
    assert "доставлен" in texts(done)
    assert [c.body for c in market.calls("updateOrderStatus")] == [
        {"order": {"status": "DELIVERY"}},
        {"order": {"status": "DELIVERED"}},
    ]
    assert [c.status for c in market.calls("updateOrderStatus")] == [200, 200]


async def test_a_delivery_reported_for_yesterday_carries_that_day(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 43, "DELIVERY")
    card = await harness.send(OWNER, "/order 43")
    days = await harness.press_button(OWNER, card, "Доставлен")
    confirm = await harness.press_button(OWNER, days, "Вчера")
    yesterday = moscow_today() - dt.timedelta(days=1)
    assert f"Дата доставки: {yesterday:%d.%m.%Y}" in texts(confirm)
    await harness.press_button(OWNER, confirm, "Отправить")
    [call] = market.calls("updateOrderStatus")
    assert call.body == {
        "order": {"status": "DELIVERED", "delivery": {"dates": {"realDeliveryDate": yesterday.isoformat()}}}
    }


async def test_a_pickup_order_takes_the_pickup_step_first(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 44, "DELIVERY")
    market.orders[(1001, 44)]["delivery"]["type"] = "PICKUP"
    card = await harness.send(OWNER, "/order 44")
    assert buttons_of(card)[0] == "🏪 В пункте выдачи" and "✅ Доставлен" not in buttons_of(card)
    confirm = await harness.press_button(OWNER, card, "В пункте выдачи")
    await harness.press_button(OWNER, confirm, "Отправить")
    [call] = market.calls("updateOrderStatus")
    assert call.body == {"order": {"status": "PICKUP"}}


async def test_an_order_with_nothing_to_do_shows_its_card_without_buttons(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 45, "CANCELLED")
    card = await harness.send(OWNER, "/order 45")
    assert "Заказ №45" in texts(card) and "действий для него нет" in texts(card)
    assert buttons_of(card) == []


async def test_the_track_button_skips_the_order_step(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 46, "PROCESSING")
    card = await harness.send(OWNER, "/order 46")
    asked = await harness.press_button(OWNER, card, "Трек-номер")
    assert "службу доставки" in texts(asked).lower() or "СДЭК" in buttons_of(asked)
    code = await harness.press_button(OWNER, asked, "СДЭК")
    confirm = await harness.send(OWNER, "CDEK-46")
    await harness.press_button(OWNER, confirm, "Отправить")
    [call] = market.calls("setOrderDeliveryTrackCode")
    assert call.path.endswith("/orders/46/delivery/track") and "трек-номер" in texts(code)


async def test_a_stale_card_button_does_nothing(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 47, "PROCESSING")
    market.add_order(1001, 48, "PROCESSING")
    old = await harness.send(OWNER, "/order 47")
    await harness.send(OWNER, "/order 48")
    pressed = await harness.press_button(OWNER, old, "Передан в доставку")
    assert "устарела" in texts(pressed)
    assert market.calls("updateOrderStatus") == []


async def test_a_step_whose_answer_was_lost_is_read_back_and_not_sent_again(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 49, "PROCESSING")
    market.fail("updateOrderStatus", status=503, apply=True, message="Service unavailable")
    card = await harness.send(OWNER, "/order 49")
    confirm = await harness.press_button(OWNER, card, "Передан в доставку")
    queued = await harness.press_button(OWNER, confirm, "Отправить")
    assert "⏳" in texts(queued)
    await harness.wait_sent("статус «передан в доставку»")
    assert len(market.calls("updateOrderStatus")) == 1, "the order read back shows the step: not sent again"


async def test_the_owner_cancels_after_a_warning_and_a_courier_never_can(
    harness: Harness, market: FakeMarket
) -> None:
    await add_courier(harness.db, harness.box, 1, COURIER)
    market.add_order(1001, 50, "PROCESSING")
    courier_card = await harness.send(COURIER, "/order 50")
    assert "⛔ Отменить заказ" not in buttons_of(courier_card)
    forged = await harness.press(COURIER, "oc:cancel:50")
    assert "только владелец" in texts(forged)

    card = await harness.send(OWNER, "/order 50")
    confirm = await harness.press_button(OWNER, card, "Отменить заказ")
    assert "по вине магазина" in texts(confirm)
    await harness.press_button(OWNER, confirm, "Да, отменить заказ")
    [call] = market.calls("updateOrderStatus")
    assert call.body == {"order": {"status": "CANCELLED", "substatus": "SHOP_FAILED"}}


async def test_the_shops_cancellation_says_what_each_button_does(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 52, "PROCESSING")
    card = await harness.send(OWNER, "/order 52")
    confirm = await harness.press_button(OWNER, card, "Отменить заказ")
    assert buttons_of(confirm) == ["⛔ Да, отменить заказ", "Не отменять"], "no ✅ on a destructive act"
    kept = await harness.press_button(OWNER, confirm, "Не отменять")
    assert "Заказ не отменён" in texts(kept) and "Отменено" not in texts(kept)
    assert market.calls("updateOrderStatus") == []
    en = await harness.press_button(
        OWNER, await harness.send(OWNER, "/order 52", language="en"), "Cancel order", language="en"
    )
    assert buttons_of(en) == ["⛔ Yes, cancel the order", "Don't cancel"]


async def test_the_buyers_phone_is_shown_and_never_logged_or_stored(
    harness: Harness, market: FakeMarket, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    market.add_order(1001, 51, "DELIVERY")
    card = await harness.send(OWNER, "/order 51")
    shown = await harness.press_button(OWNER, card, "Телефон покупателя")
    assert BUYER_PHONE in texts(shown) and "Анна Покупателева" in texts(shown)
    assert BUYER_PHONE not in caplog.text and "Покупателева" not in caplog.text
    await harness.db.execute("PRAGMA wal_checkpoint(FULL)")
    stored = database_bytes(tmp_path)
    assert stored, "the database file was read"
    assert BUYER_PHONE.encode() not in stored and "Покупателева".encode() not in stored


async def test_orders_are_grouped_by_delivery_day_and_each_opens_its_card(
    harness: Harness, market: FakeMarket
) -> None:
    today = moscow_today()
    market.add_order(1001, 61, "PROCESSING", delivery_from=today - dt.timedelta(days=2))
    market.add_order(1001, 62, "DELIVERY", delivery_from=today)
    market.add_order(1001, 63, "PROCESSING", delivery_from=today)
    market.add_order(1001, 64, "PROCESSING", delivery_from=today + dt.timedelta(days=1))
    market.add_order(1001, 65, "PROCESSING", delivery_from=today + dt.timedelta(days=9))
    market.add_order(1001, 66, "DELIVERED", delivery_from=today)
    listed = await harness.send(OWNER, "/orders")
    shown = texts(listed)
    assert "Активные заказы</b> — dbs-shop.example: 5" in shown
    assert "Просрочены: 1" in shown and "Сегодня: 2" in shown and "Завтра: 1" in shown and "Позже: 1" in shown
    assert buttons_of(listed)[0].startswith("…61"), "the overdue one first"
    assert not any(b.startswith("…66") for b in buttons_of(listed)), "a delivered order is not active"
    card = await harness.press_button(OWNER, listed, "…62")
    assert "Заказ №62" in texts(card) and buttons_of(card)[0] == "✅ Доставлен"


async def test_a_sent_track_code_offers_the_next_step_of_the_order(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 70, "PROCESSING")
    card = await harness.send(OWNER, "/track 70")
    await harness.press_button(OWNER, card, "СДЭК")
    confirm = await harness.send(OWNER, "CDEK-70")
    done = await harness.press_button(OWNER, confirm, "Отправить")
    assert "✅" in texts(done)
    assert buttons_of(done) == ["Дальше: 🚚 Передан в доставку"]
    stranger = await harness.press_button(STRANGER, done, "Дальше")
    assert "нет доступа" in texts(stranger)
    confirm = await harness.press_button(OWNER, done, "Дальше")
    assert "Новый статус: передан в доставку" in texts(confirm), (
        "the step itself (tests/handlers/test_status_chain.py)"
    )


async def test_the_card_says_how_and_where_the_order_goes_and_a_cancellation_request(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 71, "DELIVERY")
    market.orders[(1001, 71)]["cancelRequested"] = True
    shown = texts(await harness.send(OWNER, "/order 71"))
    assert "Курьером: Москва, Тверская, 1" in shown
    assert "Покупатель просит отменить заказ" in shown
