"""The order as the Market has it now: a write drops the copy listed to the user (/orders, /order's
list), and a card opened from outside the conversation (an alert, the digest, «Дальше») reads the
order again. The copy a list keeps is only for a tap on that list."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.clock import moscow_today
from bot.telegram.alert_views import MoveCD, OpenCD
from tests.fakes.market import FakeMarket
from tests.handlers.conftest import OWNER, Harness, buttons_of, texts

pytestmark = pytest.mark.usefixtures("shop")


async def test_after_out_for_delivery_the_card_shows_the_new_status_and_delivered_is_reached(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 42, "PROCESSING")
    listed = await harness.send(OWNER, "/orders")
    card = await harness.press_button(OWNER, listed, "…42")
    confirm = await harness.press_button(OWNER, card, "Передан в доставку")
    assert "✅" in texts(await harness.press_button(OWNER, confirm, "Отправить"))

    card = await harness.send(OWNER, "/order 42")
    assert "Статус: передан в доставку" in texts(card), "not the copy listed before the step"
    assert buttons_of(card)[0] == "✅ Доставлен"
    days = await harness.press_button(OWNER, card, "Доставлен")
    confirm = await harness.press_button(OWNER, days, "Сегодня")
    assert "доставлен" in texts(await harness.press_button(OWNER, confirm, "Отправить"))
    assert [c.status for c in market.calls("updateOrderStatus")] == [200, 200], "no 400 on the way"


async def test_after_a_track_code_the_card_shows_it(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 42, "PROCESSING")
    await harness.send(OWNER, "/orders")
    card = await harness.send(OWNER, "/track 42")
    await harness.press_button(OWNER, card, "СДЭК")
    confirm = await harness.send(OWNER, "CDEK-42")
    await harness.press_button(OWNER, confirm, "Отправить")
    assert "Трек: <code>CDEK-42</code> (СДЭК)" in texts(await harness.send(OWNER, "/order 42"))


async def test_a_card_opened_from_an_alert_reads_the_order_again(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(1001, 42, "PROCESSING")
    await harness.send(OWNER, "/orders")
    market.orders[(1001, 42)]["status"] = "DELIVERY"  # moved on in the Market's cabinet meanwhile
    market.request_cancel(1001, 42)
    opened = await harness.press(OWNER, OpenCD(order_id=42, shop_id=shop).pack())
    assert "Статус: передан в доставку" in texts(opened)
    assert "Покупатель просит отменить заказ" in texts(opened)
    assert buttons_of(opened)[0] == "✅ Доставлен"


async def test_the_digests_move_button_reads_the_order_again(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(1001, 42, "PROCESSING", delivery_from=moscow_today())
    await harness.send(OWNER, "/orders")
    moved = moscow_today() + dt.timedelta(days=3)
    text = moved.strftime("%d-%m-%Y")
    market.orders[(1001, 42)]["delivery"]["dates"] = {"fromDate": text, "toDate": text}
    opened = await harness.press(OWNER, MoveCD(order_id=42, shop_id=shop).pack())
    assert f"Доставка: {moved:%d.%m.%Y}" in texts(opened)


async def test_next_under_a_result_reads_the_order_again(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 70, "PROCESSING")
    card = await harness.send(OWNER, "/track 70")
    await harness.press_button(OWNER, card, "СДЭК")
    done = await harness.press_button(OWNER, await harness.send(OWNER, "CDEK-70"), "Отправить")
    await harness.send(OWNER, "/orders")  # listed while still in processing
    market.orders[(1001, 70)]["status"] = "DELIVERY"  # then moved on in the Market's cabinet
    opened = await harness.press_button(OWNER, done, "Дальше")
    assert "Статус: передан в доставку" in texts(opened)
    assert buttons_of(opened)[0] == "✅ Доставлен", "the order's step now, not the one offered before"
    assert market.calls("updateOrderStatus") == []
