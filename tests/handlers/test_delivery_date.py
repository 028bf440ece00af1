"""/date through the real dispatcher."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.clock import MSK, moscow_today
from storage.db import Database
from tests.conftest import add_courier
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import FakeTelegram, keyboard
from tests.handlers.conftest import COURIER, OWNER, Harness, buttons_of, texts

pytestmark = pytest.mark.usefixtures("shop")


async def test_whole_date_flow_with_a_quick_button(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 77, "PROCESSING")
    card = await harness.send(OWNER, "/date 77")
    assert "Заказ №77" in texts(card)
    tomorrow = moscow_today() + dt.timedelta(days=1)
    day_buttons = buttons_of(card)
    assert len(day_buttons) == 8 and day_buttons[0].endswith(f"{moscow_today():%d.%m}")
    assert day_buttons[0].split()[0] in {"пн", "вт", "ср", "чт", "пт", "сб", "вс"}

    reasons = await harness.press_button(OWNER, card, f"{tomorrow:%d.%m}")
    shown = buttons_of(reasons)
    assert any("покупател" in b for b in shown) and any("агазин" in b for b in shown)
    assert "Попросил покупатель" in texts(reasons) and "не успеваете" in texts(reasons)

    confirm = await harness.press_button(OWNER, reasons, "покупател")
    assert f"{tomorrow:%d.%m.%Y}" in texts(confirm)
    result = await harness.press_button(OWNER, confirm, "Отправить")
    assert "✅" in texts(result) and "77" in texts(result)
    [call] = market.calls("setOrderDeliveryDate")
    assert call.body == {"dates": {"toDate": tomorrow.isoformat()}, "reason": "USER_MOVED_DELIVERY_DATES"}


@pytest.mark.parametrize("fmt", ["%Y-%m-%d", "%d.%m.%Y", "%d.%m"])
async def test_typed_dates_in_each_format(harness: Harness, market: FakeMarket, fmt: str) -> None:
    market.add_order(1001, 77, "DELIVERY")
    day = moscow_today() + dt.timedelta(days=20)
    await harness.send(OWNER, "/date 77")
    reasons = await harness.send(OWNER, day.strftime(fmt))
    confirm = await harness.press_button(OWNER, reasons, "магазин")
    await harness.press_button(OWNER, confirm, "Отправить")
    [call] = market.calls("setOrderDeliveryDate")
    assert call.body == {"dates": {"toDate": day.isoformat()}, "reason": "PARTNER_MOVED_DELIVERY_DATES"}


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("31.02.2027", "нет в календаре"),
        ("вчера", "Не понял дату"),
        ("2020-01-01", "уже прошла"),
        ("", "Не понял"),
    ],
)
async def test_bad_dates_are_asked_again(harness: Harness, market: FakeMarket, typed: str, says: str) -> None:
    market.add_order(1001, 77)
    await harness.send(OWNER, "/date 77")
    reply = await harness.send(OWNER, typed or " ")
    assert says in texts(reply)
    assert "Пришлите новую дату" in texts(reply)
    assert market.calls("setOrderDeliveryDate") == []


async def test_the_orders_current_date_is_refused_before_the_market(
    harness: Harness, market: FakeMarket
) -> None:
    today = moscow_today()
    current = today + dt.timedelta(days=2)
    market.add_order(1001, 77, delivery_from=current)
    card = await harness.send(OWNER, "/date 77")
    days = buttons_of(card)
    assert days[0].endswith(f"{today:%d.%m}"), "today may be chosen: the buttons start with it"
    assert len(days) == 8 and not [d for d in days if d.endswith(f"{current:%d.%m}")], "no move is no button"
    reply = texts(await harness.send(OWNER, f"{current:%d.%m}"))
    assert "это и есть текущая дата" in reply and "Пришлите новую дату" in reply
    assert market.calls("setOrderDeliveryDate") == []
    assert "Попросил покупатель" in texts(await harness.press_button(OWNER, card, f"{today:%d.%m}"))


async def test_an_order_due_today_is_offered_the_days_from_tomorrow(
    harness: Harness, market: FakeMarket
) -> None:
    today = moscow_today()
    market.add_order(1001, 77, delivery_from=today)
    days = buttons_of(await harness.send(OWNER, "/date 77"))
    assert days[0].endswith(f"{today + dt.timedelta(days=1):%d.%m}") and len(days) == 8
    reply = texts(await harness.send(OWNER, "сегодня"))
    assert "это и есть текущая дата" in reply and market.calls("setOrderDeliveryDate") == []


async def test_yesterday_typed_as_day_month_is_refused_as_past(harness: Harness, market: FakeMarket) -> None:
    """On 2 December «01.12» is yesterday, not next year's 1 December."""
    market.add_order(1001, 77)
    yesterday = moscow_today() - dt.timedelta(days=1)
    await harness.send(OWNER, "/date 77")
    reply = await harness.send(OWNER, f"{yesterday:%d.%m}")
    assert "уже прошла" in texts(reply) and "Пришлите новую дату" in texts(reply)
    assert market.calls("setOrderDeliveryDate") == []


async def test_a_day_in_words_is_taken(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 77)
    await harness.send(OWNER, "/date 77")
    reasons = await harness.send(OWNER, "Завтра")
    assert f"{moscow_today() + dt.timedelta(days=1):%d.%m.%Y}" in texts(reasons)


@pytest.mark.parametrize("status", ["PICKUP", "DELIVERED", "CANCELLED"])
async def test_status_without_date_change_stops_early(
    harness: Harness, market: FakeMarket, status: str
) -> None:
    market.add_order(1001, 77, status)
    reply = await harness.send(OWNER, "/date 77")
    assert "⛔" in texts(reply)
    assert not buttons_of(reply)


async def test_english_reason_buttons(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 77)
    await harness.send(OWNER, "/date 77", language="en")
    reasons = await harness.send(OWNER, (moscow_today() + dt.timedelta(days=3)).isoformat(), language="en")
    shown = buttons_of(reasons)
    assert any("buyer" in b for b in shown) and any("shop" in b for b in shown)


async def test_couriers_move_dates_only_as_the_owner_allows(
    harness: Harness, market: FakeMarket, db: Database, shop: int
) -> None:
    await add_courier(db, harness.box, shop, COURIER)
    market.add_order(1001, 77)
    day = moscow_today() + dt.timedelta(days=3)

    await harness.send(COURIER, "/date 77")
    reasons = await harness.send(COURIER, day.isoformat())
    shown = buttons_of(reasons)
    assert len(shown) == 1 and "покупател" in shown[0], "by default only the buyer's reason"
    forged = texts(await harness.press(COURIER, "rs:shop"))
    assert "⛔" in forged and "по просьбе покупателя" in forged
    confirm = await harness.press_button(COURIER, reasons, "покупател")
    assert "✅" in texts(await harness.press_button(COURIER, confirm, "Отправить"))
    [call] = market.calls("setOrderDeliveryDate")
    assert call.body["reason"] == "USER_MOVED_DELIVERY_DATES"

    team = await harness.send(OWNER, "/team")
    assert "только по просьбе покупателя" in texts(team)
    any_reason = await harness.press_button(OWNER, team, "Курьеры и даты")
    assert "по любой причине" in texts(any_reason)
    await harness.send(COURIER, "/date 77")
    later = day + dt.timedelta(days=1)  # `day` is the order's date now: the step would refuse it
    assert len(buttons_of(await harness.send(COURIER, later.isoformat()))) == 2
    await harness.send(COURIER, "/cancel")

    none = await harness.press_button(OWNER, any_reason, "Курьеры и даты")
    assert "не переносят" in texts(none)
    refused = texts(await harness.send(COURIER, "/date 77"))
    assert refused.startswith("⛔") and "не разрешает" in refused
    assert "Заказ №77" in texts(await harness.send(OWNER, "/date 77")), "the owner still can"


async def test_date_picker_offers_only_orders_whose_date_can_move(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 7_000_000_001, "PROCESSING")
    market.add_order(1001, 7_000_000_002, "PICKUP")  # a date cannot move at the pickup point
    shown = buttons_of(await harness.send(OWNER, "/date"))
    assert any("…00001" in b for b in shown) and not any("…00002" in b for b in shown)


async def test_the_digest_button_refuses_a_courier_at_once_when_couriers_may_not_move_dates(
    harness: Harness, market: FakeMarket, db: Database, shop: int, telegram: FakeTelegram
) -> None:
    await add_courier(db, harness.box, shop, COURIER)
    await harness.press_button(COURIER, await harness.send(COURIER, "/alerts"), "Утренняя сводка")
    team = await harness.send(OWNER, "/team")
    any_reason = await harness.press_button(OWNER, team, "Курьеры и даты")
    assert "не переносят" in texts(await harness.press_button(OWNER, any_reason, "Курьеры и даты"))
    today = moscow_today()
    market.add_order(1001, 77, "DELIVERY", delivery_from=today)
    poller = harness.deps.alert_poller
    poller.clock = lambda: dt.datetime.combine(today, dt.time(9, 1), MSK)
    await poller.turn(poll_every=True)
    [digest] = [p for p in telegram.sent("sendMessage", COURIER) if "Сегодня (1)" in str(p["text"])]
    [(label, move)] = keyboard(digest)
    assert label.startswith("📅"), "the digest offers to move the date"

    refused = texts(await harness.press(COURIER, move))
    assert "⛔" in refused and "не разрешает" in refused
    assert "Заказ №77" not in refused, "no order card: the flow does not begin"
    typed_date = texts(await harness.send(COURIER, (today + dt.timedelta(days=2)).isoformat()))
    assert "причин" not in typed_date.lower(), "no conversation was left open to walk through"
    assert market.calls("setOrderDeliveryDate") == []


async def test_a_date_the_market_refuses_for_its_limit_says_so_in_plain_words_with_the_markets_text(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 77)
    market.date_edits_allowed = market.date_edits[77] = 3  # moved three times already
    await harness.send(OWNER, "/date 77")
    reasons = await harness.send(OWNER, (moscow_today() + dt.timedelta(days=3)).isoformat())
    confirm = await harness.press_button(OWNER, reasons, "покупател")
    result = texts(await harness.press_button(OWNER, confirm, "Отправить"))
    said = "❌ Дату этого заказа больше переносить нельзя: Маркет разрешает переносить её не больше 3 раз."
    assert said in result.splitlines(), result
    assert "Ответ Маркета: Exceeded the number of edits of delivery dates! limit is: 3" in result
    [refused] = market.calls("setOrderDeliveryDate")
    assert refused.status == 400


async def test_another_day_typed_while_the_reasons_are_shown_is_taken_instead(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 77)
    await harness.send(OWNER, "/date 77")
    await harness.send(OWNER, (moscow_today() + dt.timedelta(days=3)).isoformat())
    later = moscow_today() + dt.timedelta(days=5)
    reasons = await harness.send(OWNER, f"{later:%d.%m}")
    assert f"{later:%d.%m.%Y}" in texts(reasons) and any("покупател" in b for b in buttons_of(reasons))
    other = texts(await harness.send(OWNER, "что-то не то"))
    assert "Выберите причину" in other, "other text: the step asked again"
    confirm = await harness.press_button(OWNER, reasons, "покупател")
    assert f"{later:%d.%m.%Y}" in texts(confirm)
