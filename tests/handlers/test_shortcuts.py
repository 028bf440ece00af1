"""What a courier sends without a command: a label's photo, a bare order number (or its end), an
order of another of their shops; and a voice message, video or sticker in the middle of a step."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import seed_shop
from tests.fakes.labels import F, jpeg, label, photo
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import photo as photo_field
from tests.handlers.conftest import OWNER, Harness, buttons_of, texts


def label_photo(*codes: tuple[str, F]) -> bytes:
    return jpeg(photo(label(*codes), size=(900, 1200), at=(40, 60), angle=180))


async def send_photo(harness: Harness, content: bytes) -> Any:
    file_id = harness.telegram.add_file(content)
    return await harness.send(OWNER, None, **photo_field(file_id, len(content)))


@pytest.mark.usefixtures("shop")
async def test_a_label_photo_outside_any_flow_goes_straight_to_the_confirmation(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 55501, "PROCESSING", service_id=51, service_name="СДЭК", items=[("Чайник", 1)])
    confirm = await send_photo(harness, label_photo(("55501", F.Code128), ("1234567890", F.Code128)))
    said = texts(confirm)
    assert "Заказ №55501" in said and "Чайник" in said, "the order's card, from the number on the label"
    assert "С фото: <code>1234567890</code>" in said and "СДЭК" in said, "the order's own service"
    await harness.press_button(OWNER, confirm, "Отправить")
    [call] = market.calls("setOrderDeliveryTrackCode")
    assert call.body == {"trackCode": "1234567890", "deliveryServiceId": 51}


@pytest.mark.usefixtures("shop")
async def test_a_label_without_the_shops_order_asks_which_order_and_keeps_the_code(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 55501, "PROCESSING", service_id=51, service_name="СДЭК")
    asked = await send_photo(harness, label_photo(("1234567890", F.Code128)))
    said = texts(asked)
    assert "нет номера заказа этого магазина" in said and "<code>1234567890</code>" in said
    confirm = await harness.press_button(OWNER, asked, "…55501")  # the order step's list
    assert "Трек-номер: <code>1234567890</code>" in texts(confirm), "straight to the confirmation"
    await harness.press_button(OWNER, confirm, "Отправить")
    [call] = market.calls("setOrderDeliveryTrackCode")
    assert call.body == {"trackCode": "1234567890", "deliveryServiceId": 51}


@pytest.mark.usefixtures("shop")
async def test_several_codes_on_a_label_outside_any_flow_are_buttons(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 55501, "PROCESSING")  # «Своя служба доставки»: no rule says which code
    picture = label_photo(("55501", F.Code128), ("AB12345678", F.Code128), ("XY-5566-77", F.Code128))
    offered = await send_photo(harness, picture)
    assert "2 кода" in texts(offered)
    assert sorted(buttons_of(offered)) == ["AB12345678", "XY-5566-77"]
    confirm = await harness.press_button(OWNER, offered, "XY-5566-77")
    await harness.press_button(OWNER, confirm, "Отправить")
    [call] = market.calls("setOrderDeliveryTrackCode")
    assert call.body == {"trackCode": "XY-5566-77", "deliveryServiceId": 1003}


@pytest.mark.usefixtures("shop")
async def test_a_bare_order_number_or_its_end_opens_the_order_card(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 48215678, "PROCESSING", items=[("Чайник", 1)])
    market.add_order(1001, 48219999, "DELIVERY", items=[("Утюг", 1)])
    market.add_order(1001, 48225678, "DELIVERY")
    card = await harness.send(OWNER, "48215678")
    assert "Заказ №48215678" in texts(card) and "Чайник" in texts(card)
    assert any("Передан в доставку" in b for b in buttons_of(card)), "the card's actions"
    tail = await harness.send(OWNER, "/cancel") and await harness.send(OWNER, "9999")
    assert "Заказ №48219999" in texts(tail) and "Утюг" in texts(tail), "the end of an active order's number"
    several = await harness.send(OWNER, "/cancel") and await harness.send(OWNER, "5678")
    assert "нескольких заказов" in texts(several) and len(buttons_of(several)) == 2
    listed = await harness.send(OWNER, "48215678 RA123456789RU\n48219999 RA987654321RU")
    assert "Отправить все" in " ".join(buttons_of(listed)), "several lines are still a bulk send"


async def test_an_order_of_another_of_the_users_shops_offers_to_switch(
    harness: Harness, market: FakeMarket
) -> None:
    await seed_shop(harness.db, harness.box, OWNER, campaign=1002, domain="shop-b.example")
    await seed_shop(harness.db, harness.box, OWNER, campaign=1001)  # A, the active one
    market.add_order(1002, 4242, "PROCESSING", items=[("Утюг из магазина B", 1)])
    offered = await harness.send(OWNER, "/track 4242")
    said = texts(offered)
    assert "не найден" not in said and "shop-b.example" in said
    switched = await harness.press_button(OWNER, offered, "Переключиться")
    said = texts(switched)
    assert "shop-b.example" in said and "Утюг из магазина B" in said and "службу доставки" in said
    assert "✓ shop-b.example" in " ".join(buttons_of(await harness.send(OWNER, "/shop")))
    await harness.send(OWNER, "/cancel")
    await harness.send(OWNER, "/shop")
    # the other way round, from a bare number: the order's card in the other shop
    await seed_shop(harness.db, harness.box, OWNER, campaign=1001)
    market.add_order(1002, 4343, "PROCESSING", items=[("Пылесос из магазина B", 1)])
    offered = await harness.send(OWNER, "4343")
    card = texts(await harness.press_button(OWNER, offered, "Переключиться"))
    assert "Заказ №4343" in card and "Пылесос" in card


async def test_a_label_of_another_of_the_users_shops_offers_to_switch_keeping_the_code(
    harness: Harness, market: FakeMarket
) -> None:
    await seed_shop(harness.db, harness.box, OWNER, campaign=1002, domain="shop-b.example")
    await seed_shop(harness.db, harness.box, OWNER, campaign=1001)  # A, the active one
    market.add_order(1002, 55501, "PROCESSING", service_id=51, service_name="СДЭК")
    offered = await send_photo(harness, label_photo(("55501", F.Code128), ("1234567890", F.Code128)))
    assert "shop-b.example" in texts(offered)
    confirm = await harness.press_button(OWNER, offered, "Переключиться")
    assert "Трек-номер: <code>1234567890</code>" in texts(confirm), "the code from the photo, kept"
    await harness.press_button(OWNER, confirm, "Отправить")
    [call] = market.calls("setOrderDeliveryTrackCode")
    assert call.path == "/v2/campaigns/1002/orders/55501/delivery/track"
    assert call.body == {"trackCode": "1234567890", "deliveryServiceId": 51}


VOICE = {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}}
VIDEO_NOTE = {"video_note": {"file_id": "n", "file_unique_id": "n", "length": 240, "duration": 3}}
STICKER = {
    "sticker": {
        "file_id": "s",
        "file_unique_id": "s",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
}


@pytest.mark.usefixtures("shop")
@pytest.mark.parametrize(
    ("sent", "says"),
    [(VOICE, "Голосовые я не слушаю"), (VIDEO_NOTE, "Видео я не смотрю"), (STICKER, "Стикер — это мило")],
)
async def test_a_voice_video_or_sticker_mid_flow_is_answered_in_fitting_words(
    harness: Harness, market: FakeMarket, sent: dict[str, Any], says: str
) -> None:
    market.add_order(1001, 55501, "PROCESSING")
    await harness.send(OWNER, "/track 55501")
    await harness.send(OWNER, "СДЭК")
    reply = texts(await harness.send(OWNER, None, **sent))
    assert says in reply and "Пришлите трек-номер" in reply, "and the step's question again"
    confirm = await harness.send(OWNER, "1234567890")
    assert "Трек-номер: <code>1234567890</code>" in texts(confirm), "the step is still open"


@pytest.mark.usefixtures("shop")
async def test_the_end_of_an_order_number_after_a_command_is_matched_against_the_shops_orders(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 4820003, "PROCESSING")
    market.add_order(1001, 4820011, "PROCESSING")
    for command in ("/order 003", "/track 003", "/date 003"):
        assert "Заказ №4820003" in texts(await harness.send(OWNER, command)), command
        await harness.send(OWNER, "/cancel")


@pytest.mark.usefixtures("shop")
async def test_the_track_list_marks_orders_that_have_a_code_and_lists_them_last(
    harness: Harness, market: FakeMarket
) -> None:
    market.add_order(1001, 4820001, "PROCESSING", tracks=[{"trackCode": "CD-1", "deliveryServiceId": 51}])
    market.add_order(1001, 4820002, "PROCESSING")
    listed = buttons_of(await harness.send(OWNER, "/track"))
    assert listed[:2] == [b for b in listed if "…20002" in b] + [b for b in listed if "…20001" in b]
    assert listed[1].startswith("✅ …20001") and not listed[0].startswith("✅")


@pytest.mark.usefixtures("shop")
async def test_a_label_or_a_number_sent_where_a_step_wants_a_button_starts_over_with_it(
    harness: Harness, market: FakeMarket
) -> None:
    """Fifteen labels in a row: one left unconfirmed does not block the next photo or number."""
    market.add_order(1001, 55501, "PROCESSING", service_id=51, service_name="СДЭК")
    market.add_order(1001, 55502, "PROCESSING", service_id=51, service_name="СДЭК")
    await send_photo(harness, label_photo(("55501", F.Code128), ("1111111111", F.Code128)))  # not sent
    confirm = await send_photo(harness, label_photo(("55502", F.Code128), ("2222222222", F.Code128)))
    assert "Заказ №55502" in texts(confirm) and "2222222222" in texts(confirm)
    await harness.press_button(OWNER, confirm, "Отправить")
    assert [c.body["trackCode"] for c in market.calls("setOrderDeliveryTrackCode")] == ["2222222222"]
    await send_photo(harness, label_photo(("55501", F.Code128), ("3333333333", F.Code128)))  # at its card
    assert "Заказ №55501" in texts(await harness.send(OWNER, "55501")), "a number at a card: its card"


@pytest.mark.usefixtures("shop")
async def test_a_card_with_nothing_to_do_waits_for_nothing(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 55509, "DELIVERED")
    assert "действий для него нет" in texts(await harness.send(OWNER, "55509"))
    assert "Не понял" in texts(await harness.send(OWNER, "ну ладно")), "no step asks for a button"
