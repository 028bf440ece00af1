"""A photo of the parcel label instead of typing: at the track-code step and at the order step."""

from __future__ import annotations

import pytest

from tests.fakes.labels import F, blank, jpeg, label, photo
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import document
from tests.fakes.telegram import photo as photo_field
from tests.handlers.conftest import OWNER, Harness, buttons_of, texts

pytestmark = pytest.mark.usefixtures("shop")


def label_photo(*codes: tuple[str, F]) -> bytes:
    return jpeg(photo(label(*codes), size=(900, 1200), at=(40, 60), angle=180))


async def send_photo(harness: Harness, content: bytes) -> str:
    file_id = harness.telegram.add_file(content)
    calls = await harness.send(OWNER, None, **photo_field(file_id, len(content)))
    return texts(calls)


async def at_track_code_step(harness: Harness, market: FakeMarket, service: str = "СДЭК") -> None:
    market.add_order(1001, 55501, "PROCESSING")
    card = await harness.send(OWNER, "/track 55501")
    await harness.press_button(OWNER, card, service)


async def test_a_label_photo_goes_straight_to_the_card_naming_the_code(
    harness: Harness, market: FakeMarket
) -> None:
    await at_track_code_step(harness, market)
    # the order number, the СДЭК code and a product's EAN-13 on one label
    picture = label_photo(("55501", F.Code128), ("1234567890", F.Code128), ("4601234567893", F.EAN13))
    file_id = harness.telegram.add_file(picture)
    confirm = await harness.send(OWNER, None, **photo_field(file_id, len(picture)))
    assert "С фото: <code>1234567890</code>" in texts(confirm)
    assert "Трек-номер: <code>1234567890</code>" in texts(confirm)
    await harness.press_button(OWNER, confirm, "Отправить")
    [call] = market.calls("setOrderDeliveryTrackCode")
    assert call.body == {"trackCode": "1234567890", "deliveryServiceId": 51}


async def test_several_candidates_are_buttons_and_the_chosen_one_is_sent(
    harness: Harness, market: FakeMarket
) -> None:
    await at_track_code_step(harness, market, "Своя служба")
    picture = label_photo(("AB12345678", F.Code128), ("XY-5566-77", F.Code128))
    file_id = harness.telegram.add_file(picture)
    offered = await harness.send(OWNER, None, **photo_field(file_id, len(picture)))
    assert "2 кода" in texts(offered)
    assert sorted(buttons_of(offered)) == ["AB12345678", "XY-5566-77"]
    confirm = await harness.press_button(OWNER, offered, "XY-5566-77")
    assert "Трек-номер: <code>XY-5566-77</code>" in texts(confirm)
    await harness.press_button(OWNER, confirm, "Отправить")
    [call] = market.calls("setOrderDeliveryTrackCode")
    assert call.body["trackCode"] == "XY-5566-77"


async def test_a_photo_without_a_code_keeps_the_step_open(harness: Harness, market: FakeMarket) -> None:
    await at_track_code_step(harness, market)
    blank = jpeg(photo(label(("55501", F.Code128)), size=(900, 1200), at=(40, 60)))
    said = await send_photo(harness, blank)
    assert "ни один не похож на трек-номер" in said, "the order number is never offered as a track code"
    said = await send_photo(harness, b"not a picture")
    assert "Это не фото" in said
    confirm = await harness.send(OWNER, "1234567890")
    assert "Трек-номер: <code>1234567890</code>" in texts(confirm), "typing still works"


async def test_a_file_over_20_mb_is_refused_before_any_download(harness: Harness, market: FakeMarket) -> None:
    await at_track_code_step(harness, market)
    calls = await harness.send(OWNER, None, **document("huge", 25 * 1024 * 1024, "label.jpg", "image/jpeg"))
    assert "больше 20 МБ" in texts(calls)
    assert not [c for c in calls if c.method in ("getFile", "download")]


async def test_a_picture_of_an_extreme_shape_gets_a_clear_answer(
    harness: Harness, market: FakeMarket
) -> None:
    await at_track_code_step(harness, market)
    strip = blank(3, 16000)  # it crashed the reader: «Что-то пошло не так»
    file_id = harness.telegram.add_file(strip)
    calls = await harness.send(OWNER, None, **document(file_id, len(strip), "strip.png", "image/png"))
    assert "Не нашёл штрихкод на фото" in texts(calls)
    confirm = await harness.send(OWNER, "1234567890")
    assert "Трек-номер: <code>1234567890</code>" in texts(confirm), "the step is still open"


async def test_an_image_sent_as_a_file_is_read_too(harness: Harness, market: FakeMarket) -> None:
    await at_track_code_step(harness, market, "Почта")
    picture = label_photo(("RA123456789RU", F.Code39))
    file_id = harness.telegram.add_file(picture)
    confirm = await harness.send(OWNER, None, **document(file_id, len(picture), "IMG_1.jpg", "image/jpeg"))
    assert "Трек-номер: <code>RA123456789RU</code>" in texts(confirm)


async def test_a_label_photo_at_the_order_step_picks_the_order(harness: Harness, market: FakeMarket) -> None:
    market.add_order(1001, 55501, "PROCESSING", items=[("Чайник", 1)])
    await harness.send(OWNER, "/track")
    said = await send_photo(harness, label_photo(("77001", F.Code128), ("55501", F.Code128)))
    assert "Заказ №55501" in said and "Чайник" in said
    assert "СДЭК" in said or "службу" in said.lower()


async def test_a_photo_of_another_shops_label_at_the_order_step_says_so(
    harness: Harness, market: FakeMarket
) -> None:
    await harness.send(OWNER, "/track")
    said = await send_photo(harness, label_photo(("99901", F.Code128)))
    assert "нет номера заказа этого магазина" in said
