"""/track through the real dispatcher: what the courier sees and what reaches the Market."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from storage.db import Database
from tests.conftest import OWNER_KEY
from tests.fakes.market import FakeMarket
from tests.handlers.conftest import OWNER, Harness, buttons_of, texts

pytestmark = pytest.mark.usefixtures("shop")


async def test_whole_track_flow_sends_one_valid_request(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    market.add_order(1001, 42, "PROCESSING", items=[("Чайник", 1)])

    asked = await harness.send(OWNER, "/track")
    assert "номер заказа" in texts(asked)

    card = await harness.send(OWNER, "#42")
    shown = texts(card)
    assert "Заказ №42" in shown and "в обработке" in shown and "Чайник × 1" in shown
    assert "СДЭК" in buttons_of(card)

    asked_code = await harness.press_button(OWNER, card, "СДЭК")
    assert "СДЭК" in texts(asked_code) and "трек-номер" in texts(asked_code)
    assert "фото этикетки" in texts(asked_code), "a photo of the label works too"

    confirm = await harness.send(OWNER, "  CDEK-123456  ")
    assert "CDEK-123456" in texts(confirm)
    assert any("Отправить" in b for b in buttons_of(confirm))
    assert any("Отмена" in b for b in buttons_of(confirm))
    assert market.calls("setOrderDeliveryTrackCode") == []

    result = await harness.press_button(OWNER, confirm, "Отправить")
    assert "✅" in texts(result) and "42" in texts(result)
    [call] = market.calls("setOrderDeliveryTrackCode")
    assert call.body == {"trackCode": "CDEK-123456", "deliveryServiceId": 51}
    assert call.path == "/v2/campaigns/1001/orders/42/delivery/track"

    again = await harness.press_button(OWNER, confirm, "Отправить")
    assert len(market.calls("setOrderDeliveryTrackCode")) == 1, "a second tap sends nothing"
    assert "уже отправлено" in texts(again)
    row = await db.fetch_one("SELECT status, kind, order_id FROM operations")
    assert row is not None and tuple(row) == ("done", "track", 42)


async def test_order_id_in_the_command_skips_the_first_step(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 42, "DELIVERY")
    card = await harness.send(OWNER, "/track 42")
    assert "Заказ №42" in texts(card)
    assert buttons_of(card)


async def test_recently_used_service_comes_first(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 42, "PROCESSING")
    market.add_order(1001, 43, "PROCESSING")
    await harness.send(OWNER, "/track 42")
    await harness.send(OWNER, "Boxberry")
    confirm = await harness.send(OWNER, "BB-1")
    await harness.press_button(OWNER, confirm, "Отправить")
    card = await harness.send(OWNER, "/track 43")
    assert buttons_of(card)[:2] == ["Своя служба доставки · из заказа", "Boxberry"], (
        "the order's own, then recent"
    )


async def test_a_new_courier_sees_the_orders_service_then_the_most_used(
    harness: Harness, market: FakeMarket
) -> None:
    market.delivery_services += [{"id": 2001, "name": "5Post"}, {"id": 2002, "name": "Axiomus"}]
    market.add_order(1001, 42, service_id=51, service_name="СДЭК")
    shown = buttons_of(await harness.send(OWNER, "/track 42"))
    assert shown[:5] == ["СДЭК · из заказа", "Почта России", "Boxberry", "DPD", "5Post"]


async def test_an_existing_track_code_is_shown_and_its_replacement_said(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 42, tracks=[{"trackCode": "OLD-1", "deliveryServiceId": 51}])
    card = texts(await harness.send(OWNER, "/track 42"))
    assert "OLD-1" in card
    await harness.send(OWNER, "СДЭК")
    confirm = texts(await harness.send(OWNER, "NEW-1"))
    assert "NEW-1" in confirm and "OLD-1" in confirm and "заменит" in confirm


async def test_a_code_typed_in_cyrillic_look_alike_letters_is_confirmed_and_sent_in_latin(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 42)
    await harness.send(OWNER, "/track 42")
    await harness.send(OWNER, "СДЭК")
    confirm = await harness.send(OWNER, "ВВ-000123")  # Cyrillic В, as a Russian keyboard types it
    assert "Трек-номер: <code>BB-000123</code>" in texts(confirm)
    await harness.press_button(OWNER, confirm, "Отправить")
    [call] = market.calls("setOrderDeliveryTrackCode")
    assert call.body["trackCode"] == "BB-000123"


@pytest.mark.parametrize(
    ("typed", "expected_id"),
    [("51", 51), ("сдэк", 51), ("почта", 139)],
)
async def test_service_typed_as_id_or_name_fragment(
    harness: Harness, market: FakeMarket, typed: str, expected_id: int
) -> None:
    market.add_order(1001, 42, "PROCESSING")
    await harness.send(OWNER, "/track 42")
    await harness.send(OWNER, typed)
    confirm = await harness.send(OWNER, "T-1")
    await harness.press_button(OWNER, confirm, "Отправить")
    [call] = market.calls("setOrderDeliveryTrackCode")
    assert call.body["deliveryServiceId"] == expected_id


async def test_several_matching_services_are_offered_as_buttons(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 42, "PROCESSING")
    await harness.send(OWNER, "/track 42")
    reply = await harness.send(OWNER, "с")  # СДЭК, Своя служба, Почта России, Boxberry? (case-insensitive)
    shown = buttons_of(reply)
    assert "СДЭК" in shown and "Своя служба доставки" in shown and "DPD" not in shown
    unknown = await harness.send(OWNER, "Нет такой")
    assert "Не нашёл" in texts(unknown)


@pytest.mark.parametrize("status", ["CANCELLED", "DELIVERED", "UNPAID"])
async def test_status_without_track_stops_early(harness: Harness, market: FakeMarket, status: str) -> None:
    market.add_order(1001, 42, status)
    reply = await harness.send(OWNER, "/track 42")
    assert "⛔" in texts(reply) and "нельзя" in texts(reply)
    assert not buttons_of(reply)
    after = await harness.send(OWNER, "CDEK-1")
    assert "Не понял" in texts(after), "the conversation ended"
    assert market.calls("setOrderDeliveryTrackCode") == []


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("abc", "только цифры"),
        ("0", "от 1 до"),
        ("-5", "от 1 до"),
        ("9223372036854775808", "от 1 до"),
        ("12 34x", "только цифры"),
        ("42 43", "один номер"),
    ],
)
async def test_bad_order_id_is_asked_again_without_market_call(
    harness: Harness, market: FakeMarket, typed: str, says: str
) -> None:
    await harness.send(OWNER, "/track")
    listed = len(market.received)  # the shop's orders to pick from
    reply = await harness.send(OWNER, typed)
    assert says in texts(reply) and "Пришлите номер заказа" in texts(reply)
    assert len(market.received) == listed and market.calls("getOrder") == []
    market.add_order(1001, 42)
    card = await harness.send(OWNER, "42")
    assert "Заказ №42" in texts(card), "the same step is still waiting"


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("   ", "пустой"),
        ("X" * 65, "не больше 64"),
        ("AB\u200bCD", "невидимые"),
        ("AB\x07", "невидимые"),
        ("ПОЧТА-123", "латинскими буквами и цифрами, а в этом есть русские: П, Ч"),
        ('=HYPERLINK("http://evil.example";"1")', "не может начинаться с «=»: так начинаются формулы"),
    ],
)
async def test_bad_track_code_is_asked_again(
    harness: Harness, market: FakeMarket, typed: str, says: str
) -> None:
    market.add_order(1001, 42)
    await harness.send(OWNER, "/track 42")
    await harness.send(OWNER, "СДЭК")
    reply = await harness.send(OWNER, typed)
    assert says in texts(reply)
    ok = await harness.send(OWNER, "X" * 64)
    assert any("Отправить" in b for b in buttons_of(ok))
    assert market.calls("setOrderDeliveryTrackCode") == []


async def test_a_photo_with_no_order_number_asks_again(harness: Harness, market: FakeMarket) -> None:
    await harness.send(OWNER, "/track")
    listed = len(market.received)  # the shop's orders to pick from
    blank = io.BytesIO()
    Image.new("L", (40, 30), 255).save(blank, "PNG")
    photo = [
        {
            "file_id": harness.telegram.add_file(blank.getvalue()),
            "file_unique_id": "u1",
            "width": 40,
            "height": 30,
        }
    ]
    reply = await harness.send(OWNER, None, photo=photo)
    assert "нет номера заказа" in texts(reply) and "номер заказа (только цифры)" in texts(reply)
    assert len(market.received) == listed


async def test_a_photo_telegram_cannot_hand_over_is_answered(harness: Harness, market: FakeMarket) -> None:
    await harness.send(OWNER, "/track")
    photo = [{"file_id": "gone", "file_unique_id": "u1", "width": 10, "height": 10}]
    reply = await harness.send(OWNER, None, photo=photo)
    assert "Не удалось получить фото" in texts(reply) and "номер заказа" in texts(reply)


async def test_unknown_order_asks_again(harness: Harness, market: FakeMarket) -> None:
    reply = await harness.send(OWNER, "/track 404404")
    assert "❌" in texts(reply) and "не найден" in texts(reply)
    market.add_order(1001, 42)
    assert "Заказ №42" in texts(await harness.send(OWNER, "42"))


async def test_cancel_button_sends_nothing(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 42)
    await harness.send(OWNER, "/track 42")
    await harness.send(OWNER, "СДЭК")
    confirm = await harness.send(OWNER, "T-1")
    cancelled = await harness.press_button(OWNER, confirm, "Отмена")
    assert "ничего не отправлено" in texts(cancelled)
    stale = await harness.press_button(OWNER, confirm, "Отправить")
    assert "⛔" in texts(stale)
    assert market.calls("setOrderDeliveryTrackCode") == []


async def test_cancel_command_ends_the_conversation(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 42)
    await harness.send(OWNER, "/track")
    listed = len(market.received)  # the shop's orders to pick from
    assert "Отменено" in texts(await harness.send(OWNER, "/cancel"))
    after = await harness.send(OWNER, "трек-номер")
    assert "Не понял" in texts(after)
    assert len(market.received) == listed
    card = texts(await harness.send(OWNER, "42"))  # a bare number: the order's card, not /track's step
    assert "Заказ №42" in card and "службу доставки" not in card


async def test_english_user_sees_english(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 42)
    card = await harness.send(OWNER, "/track 42", language="en-GB")
    assert "Order #42" in texts(card) and "processing" in texts(card)
    await harness.send(OWNER, "СДЭК", language="en")
    confirm = await harness.send(OWNER, "T-1", language="en")
    assert any("Send" in b for b in buttons_of(confirm)) and any("Cancel" in b for b in buttons_of(confirm))


async def test_service_pages_reach_the_whole_list(harness: Harness, market: FakeMarket) -> None:
    market.delivery_services = [{"id": 2000 + n, "name": f"Служба {n:02d}"} for n in range(15)]
    market.add_order(1001, 42)
    card = await harness.send(OWNER, "/track 42")
    first = buttons_of(card)
    assert first[:6] == [f"Служба {n:02d}" for n in range(6)] and "Ещё ▶" in first
    second = await harness.press_button(OWNER, card, "Ещё")
    shown = buttons_of(second)
    assert "Служба 06" in shown and "◀ Назад" in shown and "Ещё ▶" in shown
    third = await harness.press_button(OWNER, second, "Ещё")
    assert "Служба 14" in buttons_of(third) and "Ещё ▶" not in buttons_of(third)
    asked = await harness.press_button(OWNER, third, "Служба 14")
    assert "Служба 14" in texts(asked)


async def test_group_chats_are_ignored(harness: Harness, market: FakeMarket) -> None:
    calls = await harness.send(OWNER, "/track 42", chat={"id": -100500, "type": "group", "title": "Курьеры"})
    assert calls == []
    assert market.received == []


@pytest.mark.parametrize("typed", ["²", "٣", "1⁵"])
async def test_odd_digits_at_the_service_step_get_a_clear_answer(
    harness: Harness, market: FakeMarket, typed: str
) -> None:
    market.add_order(1001, 42)
    await harness.send(OWNER, "/track 42")
    reply = texts(await harness.send(OWNER, typed))
    assert "Не нашёл такую службу" in reply and "что-то пошло не так" not in reply.lower()


async def test_orders_are_read_with_get_business_orders_and_older_ones_are_found(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    market.add_order(1001, 42, created=market.today - dt.timedelta(days=3))
    market.add_order(1001, 77, created=market.today - dt.timedelta(days=100))  # a long delivery
    await db.execute("UPDATE shops SET business_id = NULL")  # connected before the bot stored it
    assert "Заказ №42" in texts(await harness.send(OWNER, "/track 42"))
    assert len(market.calls("getBusinessOrders")) == 1, "a recent order: one call"
    assert len(market.calls("getCampaign")) == 1, (
        "the business id, asked once for a shop connected without it"
    )
    row = await db.fetch_one("SELECT business_id FROM shops")
    assert row is not None and row["business_id"] == 777
    await harness.send(OWNER, "/cancel")
    assert "Заказ №77" in texts(await harness.send(OWNER, "/track 77"))
    windows = [c.body.get("dates") for c in market.calls("getBusinessOrders")[1:]]
    assert windows[0] is None and len(windows) == 4, "the last 30 days, then earlier windows"
    before = len(market.calls("getBusinessOrders"))
    missing = texts(await harness.send(OWNER, "/track 404404"))  # the end of no listed order, nor a number
    assert "Заказ №404404 не найден, и ни один номер в списке не кончается на 404404" in missing
    assert len(market.calls("getBusinessOrders")) - before == 1 + 4, "the list, then all four windows"
    assert market.calls("getOrder") == market.calls("getOrders") == []
    assert len(market.calls("getCampaign")) == 1


async def test_a_courier_picks_the_order_instead_of_typing_it(harness: Harness, market: FakeMarket) -> None:
    today = market.today
    for n in range(10):  # ten orders to deliver, the later the number the sooner the delivery
        market.add_order(1001, 7_000_012_340 + n, delivery_from=today + dt.timedelta(days=20 - n))
    market.add_order(1001, 7_000_099_999, "CANCELLED")
    await harness.deps.orders.delivery_services.all(OWNER_KEY)  # the reference is cached in a running shop
    reads = len(market.received)

    listing = await harness.send(OWNER, "/track")
    shown = buttons_of(listing)
    assert shown[0] == f"…12349 · {today + dt.timedelta(days=11):%d.%m} · Чайник электрический", shown[0]
    assert len(shown) == 9 and shown[-1] == "Ещё ▶" and not any("99999" in b for b in shown)
    more = await harness.press_button(OWNER, listing, "Ещё")
    assert [b for b in buttons_of(more) if b.startswith("…")] == [
        "…12341 · " + f"{today + dt.timedelta(days=19):%d.%m} · Чайник электрический",
        "…12340 · " + f"{today + dt.timedelta(days=20):%d.%m} · Чайник электрический",
    ]

    card = await harness.press_button(OWNER, listing, "…12345")
    assert "Заказ №7000012345" in texts(card)
    asked = await harness.press_button(OWNER, card, "СДЭК")
    confirm = await harness.send(OWNER, "PICKED-1")
    assert "✅" in texts(await harness.press_button(OWNER, confirm, "Отправить"))
    assert "трек-номер" in texts(asked)
    [write] = market.calls("setOrderDeliveryTrackCode")
    assert write.path == "/v2/campaigns/1001/orders/7000012345/delivery/track"
    flow_reads = [c.route for c in market.received[reads:] if c.route != "setOrderDeliveryTrackCode"]
    assert flow_reads == ["getBusinessOrders"], "the list once; paging and the tap read nothing"


async def test_typing_the_end_of_a_number_picks_from_the_list(harness: Harness, market: FakeMarket) -> None:
    for order_id in (7_000_012_345, 7_000_045_345, 7_000_067_890):
        market.add_order(1001, order_id)
    await harness.send(OWNER, "/track")
    several = await harness.send(OWNER, "345")
    assert "у нескольких" in texts(several) and len(buttons_of(several)) == 2
    none = await harness.send(OWNER, "111")
    assert "ни один номер в списке не кончается на 111" in texts(none) and "111" in texts(none)
    one = await harness.send(OWNER, "67890")
    assert "Заказ №7000067890" in texts(one)


async def test_with_no_orders_to_pick_a_typed_number_still_works(
    harness: Harness, market: FakeMarket
) -> None:
    asked = texts(await harness.send(OWNER, "/track"))
    assert "нет" in asked and "номер заказа" in asked
    market.add_order(1001, 42)
    assert "Заказ №42" in texts(await harness.send(OWNER, "42"))


async def test_a_code_written_in_groups_is_closed_up_and_the_card_says_so(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 42)
    await harness.send(OWNER, "/track 42")
    await harness.send(OWNER, "почта")
    confirm = texts(await harness.send(OWNER, "RA 1234 5678 9ru"))  # as the label prints it
    assert "Трек-номер: <code>RA123456789RU</code>" in confirm
    assert "ℹ️ Вы прислали «RA 1234 5678 9ru»" in confirm
    two = texts(await harness.send(OWNER, "/track 42"))
    assert two
    await harness.send(OWNER, "почта")
    refused = texts(await harness.send(OWNER, "52311001 1234567890"))  # an order's number and a code
    assert "В трек-номере не бывает пробелов" in refused and "Пришлите трек-номер" in refused
    assert market.calls("setOrderDeliveryTrackCode") == []


async def test_a_code_for_an_order_whose_list_line_waits_for_a_retry_replaces_it_never_races_it(
    harness: Harness, market: FakeMarket, db: Database
) -> None:
    """A list's line waits for its retry (the Market was busy); the courier corrects that order with
    /track: the new code goes, and the old one is never sent over it afterwards."""
    market.add_order(1001, 1101, "PROCESSING")
    market.fail("setOrderDeliveryTrackCode", times=1, status=503, retry_after="3")
    preview = await harness.send(OWNER, "1101 RA111111111RU Почта России")
    await harness.press_button(OWNER, preview, "Отправить все")
    await harness.wait_shown("⏳")  # the line waits for its retry

    await harness.send(OWNER, "/track 1101")
    await harness.send(OWNER, "почта")
    same = await harness.send(OWNER, "RA111111111RU")
    assert "уже отправляется в Маркет" in texts(await harness.press_button(OWNER, same, "Отправить"))
    await harness.send(OWNER, "/track 1101")
    await harness.send(OWNER, "почта")
    other = await harness.send(OWNER, "RA222222222RU")
    assert "✅" in texts(await harness.press_button(OWNER, other, "Отправить"))
    report = await harness.wait_shown("Пакет отправлен")
    assert "0/1 ✅ · 1 ❌" in report and "более новый трек-номер" in report
    posted = [c.body["trackCode"] for c in market.calls("setOrderDeliveryTrackCode")]
    assert posted == ["RA111111111RU", "RA222222222RU"], "the list's old code is not sent over the new one"
