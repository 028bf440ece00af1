"""The status chain under the results: «Дальше» takes the order's next step itself (straight to its
confirmation), one result after another, until it is delivered; a moved date offers only the card; a
second tap on a sent card's «Отправить» changes nothing on screen."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.clock import moscow_today
from tests.fakes.market import FakeMarket
from tests.handlers.conftest import OWNER, STRANGER, Harness, buttons_of, texts

pytestmark = pytest.mark.usefixtures("shop")


async def test_from_a_track_code_to_delivered_through_next(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 70, "PROCESSING")
    card = await harness.send(OWNER, "/track 70")
    await harness.press_button(OWNER, card, "СДЭК")
    done = await harness.press_button(OWNER, await harness.send(OWNER, "CDEK-70"), "Отправить")
    assert buttons_of(done) == ["Дальше: 🚚 Передан в доставку"]
    assert "нет доступа" in texts(await harness.press_button(STRANGER, done, "Дальше"))

    confirm = await harness.press_button(OWNER, done, "Дальше")
    assert "Новый статус: передан в доставку" in texts(confirm), "the step itself, not the card"
    assert "Чайник" not in texts(confirm)
    assert buttons_of(confirm) == ["✅ Отправить", "✖️ Отмена"]
    done = await harness.press_button(OWNER, confirm, "Отправить")
    assert "✅ Заказ №70: статус «передан в доставку»" in texts(done)
    assert buttons_of(done) == ["Дальше: ✅ Доставлен"]

    days = await harness.press_button(OWNER, done, "Дальше")
    assert buttons_of(days)[:2] == ["Сегодня", "Вчера"]
    confirm = await harness.press_button(OWNER, days, "Сегодня")
    done = await harness.press_button(OWNER, confirm, "Отправить")
    assert "доставлен" in texts(done) and buttons_of(done) == []
    assert [c.body["order"]["status"] for c in market.calls("updateOrderStatus")] == ["DELIVERY", "DELIVERED"]
    assert [c.status for c in market.calls("updateOrderStatus")] == [200, 200]


async def test_a_pickup_order_goes_on_to_the_pickup_point(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 44, "PROCESSING")
    market.orders[(1001, 44)]["delivery"]["type"] = "PICKUP"
    card = await harness.send(OWNER, "/order 44")
    confirm = await harness.press_button(OWNER, card, "Передан в доставку")
    done = await harness.press_button(OWNER, confirm, "Отправить")
    assert buttons_of(done) == ["Дальше: 🏪 В пункте выдачи"]
    confirm = await harness.press_button(OWNER, done, "Дальше")
    done = await harness.press_button(OWNER, confirm, "Отправить")
    assert buttons_of(done) == ["Дальше: ✅ Доставлен"]
    assert [c.body["order"]["status"] for c in market.calls("updateOrderStatus")] == ["DELIVERY", "PICKUP"]


async def test_a_moved_date_offers_the_card_only(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 77, "PROCESSING")
    card = await harness.send(OWNER, "/date 77")
    tomorrow = moscow_today() + dt.timedelta(days=1)
    reasons = await harness.press_button(OWNER, card, f"{tomorrow:%d.%m}")
    confirm = await harness.press_button(OWNER, reasons, "покупател")
    done = await harness.press_button(OWNER, confirm, "Отправить")
    assert "✅" in texts(done)
    assert buttons_of(done) == ["📋 Карточка заказа"]
    opened = await harness.press_button(OWNER, done, "Карточка заказа")
    assert "Заказ №77" in texts(opened) and buttons_of(opened)[0] == "🚚 Передан в доставку"


async def test_a_second_tap_on_send_answers_with_a_toast_and_leaves_the_result(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 42, "PROCESSING")
    card = await harness.send(OWNER, "/track 42")
    await harness.press_button(OWNER, card, "СДЭК")
    confirm = await harness.send(OWNER, "CDEK-42")
    done = await harness.press_button(OWNER, confirm, "Отправить")
    assert "CDEK-42" in texts(done) and "СДЭК" in texts(done) and buttons_of(done)

    again = await harness.press_button(OWNER, confirm, "Отправить")
    assert [c.method for c in again] == ["answerCallbackQuery"], "the ✅ card stays as it was"
    assert "уже отправлено" in texts(again)
    assert len(market.calls("setOrderDeliveryTrackCode")) == 1
