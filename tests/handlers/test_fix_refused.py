"""A write the Market refused for a reason the user can fix: one button under the ❌ reopens the one
step to fix, everything else kept, so that a typo costs two interactions (the button, the new answer
→ the confirmation card), not a whole conversation again."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.clock import moscow_today
from bot.telegram.order_steps import FixCD
from tests.conftest import add_courier
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import find_button
from tests.handlers.conftest import COURIER, OWNER, Harness, buttons_of, texts

pytestmark = pytest.mark.usefixtures("shop")
DAYS_EXCEEDED = "Exceeded the number of days to edit delivery dates! limit is: 14 days"


def refuse_the_code(market: FakeMarket) -> None:
    market.fail(
        "setOrderDeliveryTrackCode", status=400, code="BAD_REQUEST", message="Track code format is wrong"
    )


async def test_another_track_code_is_one_tap_and_the_code(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 42, "PROCESSING")
    card = await harness.send(OWNER, "/track 42")
    await harness.press_button(OWNER, card, "СДЭК")
    confirm = await harness.send(OWNER, "CDEK-TYPO")
    refuse_the_code(market)
    refused = await harness.press_button(OWNER, confirm, "Отправить")
    assert "не принимает такой трек-номер" in texts(refused)
    assert buttons_of(refused) == ["✏️ Другой трек-номер"]

    asked = await harness.press_button(OWNER, refused, "Другой трек-номер")  # 1
    assert "СДЭК" in texts(asked) and "трек-номер" in texts(asked)
    confirm = await harness.send(OWNER, "CDEK-42")  # 2
    assert "CDEK-42" in texts(confirm) and "СДЭК" in texts(confirm) and "№42" in texts(confirm)
    done = await harness.press_button(OWNER, confirm, "Отправить")
    assert "✅ Трек-номер <code>CDEK-42</code> (СДЭК)" in texts(done)
    assert buttons_of(done) == ["Дальше: 🚚 Передан в доставку"], "the order's status kept too"
    sent = [
        (c.body["trackCode"], c.body["deliveryServiceId"]) for c in market.calls("setOrderDeliveryTrackCode")
    ]
    assert sent[-1][0] == "CDEK-42" and sent[-1][1] == sent[0][1]


async def test_another_date_keeps_the_reason(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 77, "PROCESSING")
    card = await harness.send(OWNER, "/date 77")
    tomorrow, later = (moscow_today() + dt.timedelta(days=n) for n in (1, 2))
    reasons = await harness.press_button(OWNER, card, f"{tomorrow:%d.%m}")
    confirm = await harness.press_button(OWNER, reasons, "покупател")
    market.fail("setOrderDeliveryDate", status=400, code="DAYS_COUNT_EXCEEDED", message=DAYS_EXCEEDED)
    refused = await harness.press_button(OWNER, confirm, "Отправить")
    assert "14" in texts(refused) and buttons_of(refused) == ["📅 Другая дата"]

    days = await harness.press_button(OWNER, refused, "Другая дата")  # 1
    assert "№77" in texts(days)
    confirm = await harness.press_button(OWNER, days, f"{later:%d.%m}")  # 2: no reason asked again
    assert "Причина: Попросил покупатель" in texts(confirm) and buttons_of(confirm)[0] == "✅ Отправить"
    done = await harness.press_button(OWNER, confirm, "Отправить")
    assert "✅" in texts(done)
    [*_, last] = market.calls("setOrderDeliveryDate")
    assert (
        last.body["dates"]["toDate"] == later.isoformat()
        and last.body["reason"] == "USER_MOVED_DELIVERY_DATES"
    )


async def test_a_refusal_nothing_typed_can_fix_offers_no_button(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 43, "PROCESSING")
    card = await harness.send(OWNER, "/track 43")
    await harness.press_button(OWNER, card, "СДЭК")
    confirm = await harness.send(OWNER, "CDEK-43")
    market.fail("setOrderDeliveryTrackCode", status=403, code="FORBIDDEN", message="Access denied")
    refused = await harness.press_button(OWNER, confirm, "Отправить")
    assert "❌" in texts(refused) and buttons_of(refused) == []


async def test_a_refusal_without_words_offers_the_step_of_what_was_typed(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 44, "PROCESSING")
    card = await harness.send(OWNER, "/track 44")
    await harness.press_button(OWNER, card, "СДЭК")
    confirm = await harness.send(OWNER, "CDEK-44")
    market.fail("setOrderDeliveryTrackCode", status=400, code="BAD_REQUEST", message="Something else")
    refused = await harness.press_button(OWNER, confirm, "Отправить")
    assert buttons_of(refused) == ["✏️ Другой трек-номер"]


async def test_the_fix_button_is_its_authors_only(harness: Harness, market: FakeMarket) -> None:
    await add_courier(harness.db, harness.box, 1, COURIER)
    market.add_order(1001, 44, "PROCESSING")
    card = await harness.send(OWNER, "/track 44")
    await harness.press_button(OWNER, card, "СДЭК")
    confirm = await harness.send(OWNER, "CDEK-TYPO")
    refuse_the_code(market)
    refused = await harness.press_button(OWNER, confirm, "Отправить")
    data, _ = find_button(refused, "Другой трек-номер")
    assert len(data.encode()) <= 64
    assert "устарела" in texts(await harness.press(COURIER, data))
    forged = FixCD(op_id=FixCD.unpack(data).op_id + 1, shop_id=FixCD.unpack(data).shop_id).pack()
    assert "устарела" in texts(await harness.press(OWNER, forged))
