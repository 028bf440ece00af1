"""Answering a buyer in the middle of other work, on a phone: back to /track, /date, the card, a
confirmation or a list preview, saying where; a line after an answer offered, never sent unasked;
albums and captions told once; switching shops; /chats' wording."""

from __future__ import annotations

import datetime as dt

from bot.telegram.callbacks import ChatCD
from storage.db import Database
from storage.secrets import SecretBox
from tests.conftest import add_courier, seed_shop
from tests.fakes.labels import F, jpeg, label, photo
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import photo as photo_field
from tests.handlers.conftest import CAMPAIGN, COURIER, OWNER, Harness, buttons_of, texts
from tests.handlers.test_chats import buyer_says, shown_to
from tests.handlers.test_chats_on_the_go import PHOTO, PHOTO_2, courier_of_42, partner_texts, said_to

PHOTO_3 = [{"file_id": "photo-3", "file_unique_id": "u3", "width": 10, "height": 10, "file_size": 21}]


def reply_to(shop: int, chat_id: int) -> str:
    return ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack()


def label_photo(*codes: tuple[str, F]) -> bytes:
    return jpeg(photo(label(*codes), size=(900, 1200), at=(40, 60), angle=180))


# After an answer, nothing goes to the buyer unasked


async def test_an_answer_meant_for_buyer_b_is_not_sent_to_buyer_a(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """The owner answers buyer A; buyer B writes; the owner types B's answer without a swipe: it does not go
    to A."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    market.add_order(CAMPAIGN, 43, "DELIVERY")
    chat_a = await buyer_says(harness, market, "Где заказ?", order_id=42)
    await harness.press(OWNER, reply_to(shop, chat_a))
    await harness.send(OWNER, "Едет, будет к 18")
    await buyer_says(harness, market, "А мой когда привезёте?", order_id=43)
    shown_to(harness, OWNER, "А мой когда привезёте?")
    await harness.send(OWNER, "Ваш заказ №43 приедет завтра, Иван")
    assert "Ваш заказ №43 приедет завтра, Иван" not in partner_texts(market, chat_a), (
        "buyer A got the answer meant for buyer B (another buyer's order and name)"
    )


async def test_a_line_after_opening_another_chat_in_chats_is_not_sent_to_the_first(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """Answer A; /chats; open B's chat; type the answer without a swipe: A does not get it."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    market.add_order(CAMPAIGN, 43, "DELIVERY")
    chat_a = await buyer_says(harness, market, "Где заказ?", order_id=42)
    await harness.press(OWNER, reply_to(shop, chat_a))
    await harness.send(OWNER, "Едет")
    await buyer_says(harness, market, "Можно после 18?", order_id=43)
    listing = await harness.send(OWNER, "/chats")
    await harness.press_button(OWNER, listing, "заказ №43")
    calls = await harness.send(OWNER, "Да, после 18 можно")
    assert "Да, после 18 можно" not in partner_texts(market, chat_a), (
        f"typed after opening chat №43, sent to chat №42; told: {texts(calls)}"
    )


async def test_a_parcel_label_photo_after_an_answer_is_not_sent_to_the_buyer(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """Answer the buyer of 42, then photograph the next parcel's label: the label (another buyer's data) is
    read as a label, not sent to the buyer."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    market.add_order(CAMPAIGN, 43, "PROCESSING")
    chat_a = await buyer_says(harness, market, "Где заказ?", order_id=42)
    await harness.press(OWNER, reply_to(shop, chat_a))
    await harness.send(OWNER, "Едет")
    picture = label_photo(("43", F.Code128), ("1234567890", F.Code128))
    file_id = harness.telegram.add_file(picture)
    calls = await harness.send(OWNER, None, **photo_field(file_id, len(picture)))
    assert market.chat_files(chat_a) == [], (
        f"the label of order 43 was sent to the buyer of 42; told: {texts(calls)}"
    )


async def test_a_bare_order_number_after_an_answer_is_not_sent_to_the_buyer(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    market.add_order(CAMPAIGN, 43, "DELIVERY")
    chat_a = await buyer_says(harness, market, "Где заказ?", order_id=42)
    await harness.press(OWNER, reply_to(shop, chat_a))
    await harness.send(OWNER, "Едет")
    calls = await harness.send(OWNER, "43")
    assert "43" not in partner_texts(market, chat_a), f"«43» went to the buyer; told: {texts(calls)}"


# Handing back to the conversation


async def test_cancel_in_a_reply_opened_mid_track_keeps_the_track(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """«↩️ Ответить» mid-/track, then /cancel: the reply ends, /track goes on."""
    chat_id = await courier_of_42(harness, market, db, box, shop)
    card = await harness.send(COURIER, "/track 42")
    await harness.press_button(COURIER, card, "СДЭК")
    await harness.press(COURIER, reply_to(shop, chat_id))
    said = texts(await harness.send(COURIER, "/cancel"))
    calls = await harness.send(COURIER, "CDEK-123456")
    assert "CDEK-123456" in texts(calls) or "/track" in said, (
        f"/cancel of the reply also ended /track without a word: {said!r} then {texts(calls)!r}"
    )


async def test_after_a_refused_reply_mid_track_the_track_code_goes_to_track(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """Mid-/track, the Market refuses the answer; the courier then sends the track code: /track takes it, the
    buyer does not get it."""
    chat_id = await courier_of_42(harness, market, db, box, shop)
    card = await harness.send(COURIER, "/track 42")
    await harness.press_button(COURIER, card, "СДЭК")
    await harness.press(COURIER, reply_to(shop, chat_id))
    market.fail("sendMessageToChat", status=400, code="BAD_REQUEST", message="chat closed")
    first = texts(await harness.send(COURIER, "Я внизу"))
    await harness.send(COURIER, "CDEK-123456")
    assert "CDEK-123456" not in partner_texts(market, chat_id), (
        f"after the refusal ({first!r}) the track code went to the buyer"
    )


async def test_pressing_send_on_the_track_confirmation_while_the_reply_step_is_open(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """At /track's confirmation card, «↩️ Ответить», then «Отправить» on the card: the track code goes."""
    chat_id = await courier_of_42(harness, market, db, box, shop)
    card = await harness.send(COURIER, "/track 42")
    await harness.press_button(COURIER, card, "СДЭК")
    confirm = await harness.send(COURIER, "CDEK-123456")
    await harness.press(COURIER, reply_to(shop, chat_id))
    calls = await harness.press_button(COURIER, confirm, "Отправить")
    assert market.calls("setOrderDeliveryTrackCode"), f"not sent; told: {texts(calls)}"


async def test_reply_over_the_track_confirmation_then_send(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    chat_id = await courier_of_42(harness, market, db, box, shop)
    card = await harness.send(COURIER, "/track 42")
    await harness.press_button(COURIER, card, "СДЭК")
    confirm = await harness.send(COURIER, "CDEK-123456")
    await harness.press(COURIER, reply_to(shop, chat_id))
    back = texts(await harness.send(COURIER, "Минуту"))
    assert "Возвращаемся" in back, back
    await harness.press_button(COURIER, confirm, "Отправить")
    assert market.calls("setOrderDeliveryTrackCode")


async def test_reply_over_date_reason_step_then_pick_reason(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "Можно завтра?")
    card = await harness.send(OWNER, "/date 42")
    days = buttons_of(card)
    reasons = await harness.press_button(OWNER, card, days[1])
    await harness.press(OWNER, reply_to(shop, chat_id))
    back = texts(await harness.send(OWNER, "Да, перенесу"))
    assert "Возвращаемся" in back and "причину" in back, back
    confirm = await harness.press_button(OWNER, reasons, "Попросил покупатель")
    assert "Проверьте" in texts(confirm), texts(confirm)


async def test_reply_over_a_bulk_preview_says_where_you_are(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """Answering a buyer over a list's preview says the user is back at it."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    market.add_order(CAMPAIGN, 101, "PROCESSING")
    market.add_order(CAMPAIGN, 102, "PROCESSING")
    preview = await harness.send(OWNER, "101 CDEK-0001 сдэк\n102 CDEK-0002 сдэк")
    chat_id = await buyer_says(harness, market, "Где заказ?")
    await harness.press(OWNER, reply_to(shop, chat_id))
    back = texts(await harness.send(OWNER, "Едет"))
    assert "Возвращаемся" in back, f"nothing says the list preview still waits: {back!r}"
    await harness.press_button(OWNER, preview, "Отправить все")
    assert "Пакет отправлен" in await harness.wait_shown("Пакет отправлен")
    assert sorted(c.body["trackCode"] for c in market.calls("setOrderDeliveryTrackCode")) == [
        "CDEK-0001",
        "CDEK-0002",
    ]


async def test_a_second_line_after_a_reply_mid_track_becomes_a_track_code(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """Mid-/track, after answering the buyer, the next line goes to /track, not to the buyer."""
    chat_id = await courier_of_42(harness, market, db, box, shop)
    card = await harness.send(COURIER, "/track 42")
    await harness.press_button(COURIER, card, "СДЭК")
    await harness.press(COURIER, reply_to(shop, chat_id))
    await harness.send(COURIER, "Я внизу")
    calls = await harness.send(COURIER, "Спуститесь, пожалуйста")
    assert "Трек-номер: <code>Спуститесь" not in texts(calls), texts(calls)


async def test_writing_from_the_card_does_not_repeat_the_card_hint(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """From the card, «💬 Написать покупателю» then a phrase: no «press a button under the card» hint each
    time."""
    await add_courier(db, box, shop, COURIER)
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    card = await harness.send(COURIER, "/order 42")
    calls = await harness.press_button(COURIER, card, "Написать покупателю")
    said = texts(await harness.press_button(COURIER, calls, "Подъезжаю"))
    assert "Возвращаемся" not in said, said


# Albums and captions


async def test_an_album_on_its_own_is_confirmed_once(harness: Harness, market: FakeMarket, shop: int) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "Покажите упаковку")
    for n in (1, 2, 3):
        harness.telegram.files[f"photo-{n}"] = b"\xff\xd8\xff jpeg " + bytes([n])
    await harness.press(OWNER, reply_to(shop, chat_id))
    before = len(said_to(harness, OWNER))
    await harness.send(OWNER, None, photo=PHOTO, media_group_id="a1", caption="Вот упаковка")
    await harness.send(OWNER, None, photo=PHOTO_2, media_group_id="a1")
    await harness.send(OWNER, None, photo=PHOTO_3, media_group_id="a1")
    assert len(market.chat_files(chat_id)) == 3
    told = said_to(harness, OWNER)[before:]
    blurbs = [s for s in told if "2 минуты" in s]
    assert len(blurbs) <= 1, f"a 3-photo album: {len(told)} messages, {len(blurbs)} «2 минуты» blurbs: {told}"


async def test_an_album_mid_track_is_not_split_by_the_track_question(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    chat_id = await courier_of_42(harness, market, db, box, shop)
    card = await harness.send(COURIER, "/track 42")
    await harness.press_button(COURIER, card, "СДЭК")
    for n in (1, 2, 3):
        harness.telegram.files[f"photo-{n}"] = b"\xff\xd8\xff jpeg " + bytes([n])
    await harness.press(COURIER, reply_to(shop, chat_id))
    before = len(said_to(harness, COURIER))
    await harness.send(COURIER, None, photo=PHOTO, media_group_id="a2")
    await harness.send(COURIER, None, photo=PHOTO_2, media_group_id="a2")
    await harness.send(COURIER, None, photo=PHOTO_3, media_group_id="a2")
    assert len(market.chat_files(chat_id)) == 3
    told = said_to(harness, COURIER)[before:]
    assert "Возвращаемся" in told[-1], f"the /track question is buried under later ✅: {told}"
    assert "CDEK-123456" in texts(await harness.send(COURIER, "CDEK-123456"))


# Shops, English, /chats


async def test_switching_to_the_chats_own_shop_keeps_the_reply_step(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """Owner of shops A and B, B active: «↩️ Ответить» on A's buyer, then /shop → A: the reply step stays, and
    nothing blames /track or /date."""
    market.add_campaign(1002, "second-shop.example")
    second = await seed_shop(db, box, OWNER, campaign=1002, domain="second-shop.example")
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "Где заказ?")
    await harness.press(OWNER, reply_to(shop, chat_id))
    listing = await harness.send(OWNER, "/shop")
    switched = texts(await harness.press_button(OWNER, listing, "dbs-shop"))
    calls = await harness.send(OWNER, "Едет")
    assert second and "/track или /date" not in switched, switched
    assert "Едет" in partner_texts(market, chat_id), f"the reply step was dropped: {texts(calls)}"


async def test_english_resume_and_follow_up(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    await add_courier(db, box, shop, COURIER)
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    card = await harness.send(COURIER, "/track 42", language="en")
    chat_id = market.add_chat(CAMPAIGN, 42)
    await harness.press_button(COURIER, card, "СДЭК", language="en")
    await harness.press(COURIER, reply_to(shop, chat_id), language="en")
    back = texts(await harness.send(COURIER, "Coming", language="en"))
    assert "Back to what you were doing" in back and "track code" in back.lower(), back
    said = texts(await harness.send(COURIER, "/cancel", language="en"))
    assert "Отмен" not in said and "не отвечаю" not in said, said


async def test_chats_wait_times_read_naturally(harness: Harness, market: FakeMarket, shop: int) -> None:
    now = dt.datetime.now(dt.UTC)
    ages = {
        1: dt.timedelta(seconds=5),
        2: dt.timedelta(hours=1, minutes=1),
        3: dt.timedelta(days=21, hours=2),
    }
    for order_id, age in ages.items():
        market.add_order(CAMPAIGN, order_id, "DELIVERY")
        chat_id = market.add_chat(CAMPAIGN, order_id)
        market.buyer_writes(chat_id, f"msg {order_id}")
        market.chats[chat_id].updated_at = now - age
    said = texts(await harness.send(OWNER, "/chats"))
    assert "21 день" in said, said
    assert "ждёт 0 мин" not in said, f"a chat that just came «ждёт 0 мин»:\n{said}"


async def test_chat_log_of_an_old_chat_shows_the_year_or_day(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = market.add_chat(CAMPAIGN, 42)
    market.buyer_writes(chat_id, "Старое сообщение")
    listing = await harness.send(OWNER, "/chats")
    opened = await harness.press_button(OWNER, listing, "заказ №42")
    assert "Старое сообщение" in texts(opened)
    assert "↩️ Ответить" in buttons_of(opened)


async def test_a_bulk_preview_still_sends_after_a_reply(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """The preview's «Отправить все» still works after answering a buyer over it."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    market.add_order(CAMPAIGN, 101, "PROCESSING")
    market.add_order(CAMPAIGN, 102, "PROCESSING")
    preview = await harness.send(OWNER, "101 CDEK-0001 сдэк\n102 CDEK-0002 сдэк")
    chat_id = await buyer_says(harness, market, "Где заказ?")
    await harness.press(OWNER, reply_to(shop, chat_id))
    await harness.send(OWNER, "Едет")
    await harness.press_button(OWNER, preview, "Отправить все")
    assert "Пакет отправлен" in await harness.wait_shown("Пакет отправлен")
    assert sorted(c.body["trackCode"] for c in market.calls("setOrderDeliveryTrackCode")) == [
        "CDEK-0001",
        "CDEK-0002",
    ]


async def test_a_pasted_track_list_after_an_answer_is_not_sent_to_the_buyer(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    market.add_order(CAMPAIGN, 101, "PROCESSING")
    market.add_order(CAMPAIGN, 102, "PROCESSING")
    chat_a = await buyer_says(harness, market, "Где заказ?")
    await harness.press(OWNER, reply_to(shop, chat_a))
    await harness.send(OWNER, "Едет")
    calls = await harness.send(OWNER, "101 CDEK-0001 сдэк\n102 CDEK-0002 сдэк")
    assert "101 CDEK-0001 сдэк\n102 CDEK-0002 сдэк" not in partner_texts(market, chat_a), texts(calls)


async def test_queued_reply_mid_track_hands_back(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """The Market is busy: the answer is queued and /track goes on."""
    chat_id = await courier_of_42(harness, market, db, box, shop)
    card = await harness.send(COURIER, "/track 42")
    await harness.press_button(COURIER, card, "СДЭК")
    await harness.press(COURIER, reply_to(shop, chat_id))
    market.fail("sendMessageToChat", status=420, times=3)
    said = texts(await harness.send(COURIER, "Я внизу"))
    market.faults.clear()
    assert "Возвращаемся" in said, said
    assert "CDEK-123456" in texts(await harness.send(COURIER, "CDEK-123456"))
