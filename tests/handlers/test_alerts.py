"""Alerts as the user sees them: a cancellation request's message and its buttons, the answer reaching
the Market once, everyone's message then saying who answered; a new order's card; the morning digest
and its buttons; /alerts. The rules behind them (who is told, when, how often; the poller's sweeps and
budget) are tested on the services: tests/services/test_alert_*.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.domain.alerts import Switch
from bot.domain.clock import MSK, moscow_today, utcnow
from bot.domain.records import Role
from bot.services.alerts import poller as alerts_poller
from bot.telegram.alert_views import AnswerCD
from tests.conftest import add_courier
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import FakeTelegram, find_button, keyboard
from tests.handlers.conftest import COURIER, OWNER, STRANGER, Harness, buttons_of, texts

pytestmark = pytest.mark.usefixtures("shop")
OTHER_COURIER = 504


@pytest.fixture(autouse=True)
def no_digest_unless_asked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The morning digest is due from 09:00 to 21:00 Moscow time: a test not about it must not see
    one come in because of the hour it runs at."""
    if request.node.get_closest_marker("digest") is None:
        monkeypatch.setattr(alerts_poller, "digest_due", lambda now, last_day: None)


def database_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.glob("bot.sqlite3*"))


def alerts_to(telegram: FakeTelegram, user_id: int, part: str) -> list[dict[str, object]]:
    return [p for p in telegram.sent("sendMessage", user_id) if part in str(p.get("text", ""))]


async def courier_sent_track(harness: Harness, market: FakeMarket, order_id: int, courier: int) -> None:
    """The courier acts on the order (a track code), which makes them its courier for alerts."""
    calls = await harness.send(courier, f"/track {order_id}")
    calls = await harness.press_button(courier, calls, "СДЭК")
    calls = await harness.send(courier, "1234567890")
    calls = await harness.press_button(courier, calls, "Отправить")
    assert "✅" in texts(calls)


async def test_a_cancellation_request_is_alerted_once_and_answered_once(
    harness: Harness, market: FakeMarket, telegram: FakeTelegram, tmp_path: Path
) -> None:
    await add_courier(harness.db, harness.box, 1, COURIER)
    await add_courier(harness.db, harness.box, 1, OTHER_COURIER)
    market.add_order(1001, 42, "DELIVERY", delivery_from=moscow_today())
    await courier_sent_track(harness, market, 42, COURIER)
    alerts = harness.deps.alert_poller
    requested = utcnow().replace(microsecond=0) - dt.timedelta(hours=2)
    market.request_cancel(1001, 42, at=requested)
    await alerts.turn(poll_every=True)
    await alerts.turn(poll_every=True)  # the next poll sees the same order again: still one alert

    [owner_alert] = alerts_to(telegram, OWNER, "просит отменить заказ №42")
    [courier_alert] = alerts_to(telegram, COURIER, "просит отменить заказ №42")
    assert alerts_to(telegram, OTHER_COURIER, "№42") == [], "only the courier who worked on it"
    text = str(owner_alert["text"])
    assert "dbs-shop.example" in text and "передан в доставку" in text
    assert f"Запрос от {requested.astimezone(MSK):%d.%m %H:%M}" in text
    assert "через 45 ч 59 мин" in text or "через 46 ч 0 мин" in text
    assert [label for label, _ in keyboard(owner_alert)] == [
        "⛔ Отменить заказ",
        "✅ Уже доставлен",
        "🚚 Ещё в пути",
        "📋 Карточка заказа",
    ]

    data = dict(keyboard(owner_alert))["✅ Уже доставлен"]
    answered = await harness.press(OWNER, data)
    assert "✅ Заказ №42: ответ на запрос отмены принят Маркетом — «Уже доставлен»" in texts(answered)
    again = await harness.feed(harness.callback_update(OWNER, data))  # another tap on the same button
    assert "уже ответил" in texts(again)
    [call] = market.calls("acceptOrderCancellation")
    assert call.body == {"accepted": False, "reason": "ORDER_DELIVERED"}
    assert call.status == 200

    # Both messages now say who answered, without their buttons; the courier's buttons refuse.
    edits = {
        int(str(p["chat_id"])): p for p in telegram.sent("editMessageText") if "Ответил(а)" in str(p["text"])
    }
    assert set(edits) == {OWNER, COURIER}
    assert "«Уже доставлен»" in str(edits[COURIER]["text"]) and not keyboard(edits[COURIER])
    late = await harness.press(COURIER, dict(keyboard(courier_alert))["🚚 Ещё в пути"])
    assert "уже ответил(а)" in texts(late)
    assert len(market.calls("acceptOrderCancellation")) == 1

    await alerts.turn(poll_every=True)  # the answered order is polled again: nothing new is said
    assert len(alerts_to(telegram, OWNER, "просит отменить")) == 1
    assert b"\xd0\xa2\xd0\xb2\xd0\xb5\xd1\x80\xd1\x81\xd0\xba\xd0\xb0\xd1\x8f" not in database_bytes(
        tmp_path
    ), "the delivery address («Тверская») is never stored"


async def test_an_accepted_cancellation_cancels_the_order_and_a_failure_frees_the_request(
    harness: Harness, market: FakeMarket, telegram: FakeTelegram
) -> None:
    market.add_order(1001, 44, "DELIVERY")
    market.request_cancel(1001, 44)
    await harness.deps.alert_poller.turn(
        poll_every=True
    )  # a request made before the bot watched the shop is found too
    [alert] = alerts_to(telegram, OWNER, "№44")
    market.fail("acceptOrderCancellation", status=400, code="BAD_REQUEST", message="Order 44 is locked")
    asked = await harness.press(OWNER, dict(keyboard(alert))["⛔ Отменить заказ"])
    failed = await harness.press_button(OWNER, asked, "Да, отменить")
    assert "Order 44 is locked" in texts(failed)
    asked = await harness.press(OWNER, dict(keyboard(alert))["⛔ Отменить заказ"])
    done = await harness.press_button(OWNER, asked, "Да, отменить")
    assert "«Отменить заказ»" in texts(done)
    assert [c.body for c in market.calls("acceptOrderCancellation")] == [{"accepted": True}] * 2
    assert market.orders[(1001, 44)]["status"] == "CANCELLED"


async def test_cancelling_from_an_alert_asks_first_in_plain_words(
    harness: Harness, market: FakeMarket, telegram: FakeTelegram
) -> None:
    market.add_order(1001, 43, "DELIVERY")
    market.request_cancel(1001, 43)
    await harness.deps.alert_poller.turn(poll_every=True)
    [alert] = alerts_to(telegram, OWNER, "№43")
    asked = await harness.press(OWNER, dict(keyboard(alert))["⛔ Отменить заказ"])
    assert "Отменить заказ №43 по просьбе покупателя?" in texts(asked)
    assert buttons_of(asked) == ["⛔ Да, отменить", "Не отменять"]
    assert market.calls("acceptOrderCancellation") == [], "nothing is sent before the question is answered"

    kept = await harness.press_button(OWNER, asked, "Не отменять")
    assert "не отменён" in texts(kept) and market.calls("acceptOrderCancellation") == []

    asked = await harness.press(OWNER, dict(keyboard(alert))["⛔ Отменить заказ"])
    done = await harness.press_button(OWNER, asked, "Да, отменить")
    assert "✅ Заказ №43: ответ на запрос отмены принят Маркетом — «Отменить заказ»" in texts(done)
    again = await harness.press_button(OWNER, asked, "Да, отменить")
    assert "уже отправлено" in texts(again).lower()
    assert [c.body for c in market.calls("acceptOrderCancellation")] == [{"accepted": True}]
    assert len(find_button(asked, "Да, отменить")[0].encode()) <= 64, "Telegram's limit for callback data"


async def test_a_request_answered_in_the_cabinet_updates_the_alert(
    harness: Harness, market: FakeMarket, telegram: FakeTelegram
) -> None:
    market.add_order(1001, 45, "DELIVERY")
    market.request_cancel(1001, 45)
    await harness.deps.alert_poller.turn(poll_every=True)
    [alert] = alerts_to(telegram, OWNER, "№45")
    market.orders[(1001, 45)]["cancelRequested"] = False  # answered in the Market's cabinet
    market.touch(1001, 45)
    await harness.deps.alert_poller.turn(poll_every=True)
    [edit] = [p for p in telegram.sent("editMessageText") if "кабинете" in str(p["text"])]
    assert "№45" in str(edit["text"]) and not keyboard(edit)
    late = await harness.press(OWNER, dict(keyboard(alert))["✅ Уже доставлен"])
    assert "уже ответили" in texts(late)
    assert market.calls("acceptOrderCancellation") == []


async def test_a_reminder_comes_when_six_hours_are_left(
    harness: Harness, market: FakeMarket, telegram: FakeTelegram
) -> None:
    market.add_order(1001, 46, "DELIVERY")
    market.request_cancel(1001, 46, at=utcnow().replace(microsecond=0) - dt.timedelta(hours=30))
    alerts = harness.deps.alert_poller
    await alerts.turn(poll_every=True)
    assert len(alerts_to(telegram, OWNER, "№46")) == 1
    # 5 h 30 min left, for the poller and for the message it sends
    alerts.clock = harness.deps.alert_outbox.clock = lambda: utcnow() + dt.timedelta(hours=12, minutes=30)
    await alerts.turn(poll_every=True)
    await alerts.turn(poll_every=True)
    [reminder] = alerts_to(telegram, OWNER, "⏰")
    assert "Осталось 5 ч 29 мин" in str(reminder["text"]) or "Осталось 5 ч 30 мин" in str(reminder["text"])
    answered = await harness.press(OWNER, dict(keyboard(reminder))["🚚 Ещё в пути"])
    assert "«Ещё в пути»" in texts(answered)
    assert [c.body for c in market.calls("acceptOrderCancellation")] == [
        {"accepted": False, "reason": "ORDER_IN_DELIVERY"}
    ]
    edited = {p["message_id"] for p in telegram.sent("editMessageText") if "Ответил(а)" in str(p["text"])}
    assert len(edited) == 2, "the alert and its reminder both say who answered"


async def test_a_new_order_is_alerted_to_the_owner_only_and_opens_its_card(
    harness: Harness, market: FakeMarket, telegram: FakeTelegram
) -> None:
    await add_courier(harness.db, harness.box, 1, COURIER)
    market.add_order(1001, 50, "PROCESSING")  # there before the bot watched the shop: not new
    await harness.deps.alert_poller.turn(poll_every=True)
    market.add_new_order(1001, 51, items=[("Чайник", 2)])
    await harness.deps.alert_poller.turn(poll_every=True)
    await harness.deps.alert_poller.turn(poll_every=True)
    [alert] = alerts_to(telegram, OWNER, "Новый заказ")
    assert "№51" in str(alert["text"]) and "Товаров: 2" in str(alert["text"])
    assert alerts_to(telegram, COURIER, "Новый заказ") == [], "couriers have it off by default"
    card = await harness.press(OWNER, dict(keyboard(alert))["📋 Открыть"])
    assert "Заказ №51" in texts(card) and "🚚 Передан в доставку" in buttons_of(card)
    stranger = await harness.press(STRANGER, dict(keyboard(alert))["📋 Открыть"])
    assert "⛔" in texts(stranger) and "Заказ №51" not in texts(stranger)


async def test_alerts_switches_choose_who_is_told(
    harness: Harness, market: FakeMarket, telegram: FakeTelegram
) -> None:
    await add_courier(harness.db, harness.box, 1, COURIER)
    shown = await harness.send(COURIER, "/alerts")
    assert buttons_of(shown) == [
        "🔔 Запросы на отмену",
        "🔕 Новые заказы",
        "🔕 Утренняя сводка",
        "🔔 Сообщения покупателей",
    ]
    switched = await harness.press_button(COURIER, shown, "Новые заказы")
    assert buttons_of(switched)[1] == "🔔 Новые заказы"
    owner = await harness.send(OWNER, "/alerts")
    await harness.press_button(OWNER, owner, "Новые заказы")
    assert await harness.deps.alert_switches.switches(OWNER, Role.OWNER) == {
        Switch.CANCEL: True,
        Switch.NEW_ORDER: False,
        Switch.DIGEST: True,
        Switch.CHAT: True,
    }


async def test_buyers_messages_are_on_by_default_and_each_user_switches_them(harness: Harness) -> None:
    await add_courier(harness.db, harness.box, 1, COURIER)
    shown = await harness.send(COURIER, "/alerts")
    assert "🔔 <b>Сообщения покупателей</b>" in texts(shown)
    off = await harness.press_button(COURIER, shown, "Сообщения покупателей")
    assert buttons_of(off)[3] == "🔕 Сообщения покупателей"
    assert "🔕 <b>Сообщения покупателей</b>" in texts(off)
    row = await harness.db.fetch_one(
        "SELECT enabled FROM alert_switches WHERE user_id = ? AND kind = 'chat'", (COURIER,)
    )
    assert row is not None and row["enabled"] == 0
    assert (await harness.deps.alert_switches.switches(COURIER, Role.COURIER))[Switch.CHAT] is False
    assert (await harness.deps.alert_switches.switches(OWNER, Role.OWNER))[Switch.CHAT] is True, "theirs only"
    on = await harness.press_button(COURIER, off, "Сообщения покупателей")
    assert buttons_of(on)[3] == "🔔 Сообщения покупателей"
    assert (await harness.deps.alert_switches.switches(COURIER, Role.COURIER))[Switch.CHAT] is True


@pytest.mark.digest
async def test_the_morning_digest_lists_today_and_overdue_once_with_move_buttons(
    harness: Harness, market: FakeMarket, telegram: FakeTelegram
) -> None:
    today = moscow_today()
    market.add_order(1001, 60, "PROCESSING", delivery_from=today)
    market.add_order(1001, 61, "DELIVERY", delivery_from=today - dt.timedelta(days=2))
    market.add_order(1001, 62, "DELIVERY", delivery_from=today + dt.timedelta(days=1))
    alerts = harness.deps.alert_poller
    alerts.clock = lambda: dt.datetime.combine(today, dt.time(9, 1), MSK)
    await alerts.turn(poll_every=True)
    await alerts.turn(poll_every=True)
    [digest] = alerts_to(telegram, OWNER, "доставки на")
    text = str(digest["text"])
    assert "Просрочены (1)" in text and "№61" in text and "Сегодня (1)" in text and "№60" in text
    assert "№62" not in text
    labels = [label for label, _ in keyboard(digest)]
    assert labels == [f"📅 …{61} · {today - dt.timedelta(days=2):%d.%m}", f"📅 …{60} · {today:%d.%m}"]
    moved = await harness.press(OWNER, dict(keyboard(digest))[labels[0]])
    assert "№61" in texts(moved) and "дату" in texts(moved).lower()


async def test_answer_buttons_are_checked_on_the_server(
    harness: Harness, market: FakeMarket, telegram: FakeTelegram
) -> None:
    market.add_order(1001, 47, "DELIVERY")
    market.request_cancel(1001, 47)
    await harness.deps.alert_poller.turn(poll_every=True)
    [alert] = alerts_to(telegram, OWNER, "№47")
    data = dict(keyboard(alert))["⛔ Отменить заказ"]
    stranger = await harness.press(STRANGER, data)
    assert "⛔" in texts(stranger)
    alert_id = AnswerCD.unpack(data).alert_id
    forged = AnswerCD(alert_id=alert_id + 100, shop_id=1, answer=AnswerCD.unpack(data).answer).pack()
    assert "устарела" in texts(await harness.press(OWNER, forged))
    assert market.calls("acceptOrderCancellation") == []
    assert len(data.encode()) <= 64, "Telegram's limit for callback data"


async def test_an_alert_telegram_could_not_take_is_sent_on_the_next_turn_once(
    harness: Harness, market: FakeMarket, telegram: FakeTelegram
) -> None:
    market.add_order(1001, 48, "DELIVERY")
    market.request_cancel(1001, 48)
    telegram.fail("sendMessage", 502, "Bad Gateway")
    alerts = harness.deps.alert_poller
    await alerts.turn(poll_every=True)  # recorded; Telegram failed the message
    await alerts.turn(poll_every=True)
    await alerts.turn(poll_every=True)
    tries = alerts_to(telegram, OWNER, "просит отменить заказ №48")
    assert len(tries) == 2, "the failed try, then one that Telegram took; never a third"
    row = await harness.db.fetch_one(
        "SELECT sent, message_id FROM alert_deliveries WHERE user_id = ?", (OWNER,)
    )
    assert row is not None and row["sent"] == 1 and row["message_id"] is not None
