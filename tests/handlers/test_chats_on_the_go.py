"""Buyer chats on a phone: a hurried courier and a busy owner — answering in the middle of /track, one
tap from the card, swipe replies to anything about the chat, albums and captions, follow-up lines, a
busy Market, the owner's switches, /cancel, results told once."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.telegram.callbacks import ChatCD
from storage.db import Database
from storage.secrets import SecretBox
from tests.conftest import add_courier
from tests.fakes.market import FakeMarket
from tests.handlers.conftest import CAMPAIGN, COURIER, OWNER, Harness, buttons_of, texts
from tests.handlers.test_chats import bot_message, buyer_says, shown_to

PHOTO = [{"file_id": "photo-1", "file_unique_id": "u1", "width": 10, "height": 10, "file_size": 17}]
PHOTO_2 = [{"file_id": "photo-2", "file_unique_id": "u2", "width": 10, "height": 10, "file_size": 19}]
VOICE = {"file_id": "v1", "file_unique_id": "v1", "duration": 3}
STICKER = {
    "file_id": "s1",
    "file_unique_id": "s1",
    "type": "regular",
    "width": 1,
    "height": 1,
    "is_animated": False,
    "is_video": False,
}
NOT_UNDERSTOOD = "Не понял"


async def courier_of_42(harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int) -> int:
    """Order 42 is out for delivery; the courier wrote to its buyer once from the card (so the
    buyer's messages now reach him). Returns the chat id."""
    await add_courier(db, box, shop, COURIER)
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    card = await harness.send(COURIER, "/order 42")
    calls = await harness.press_button(COURIER, card, "Написать покупателю")
    await harness.press_button(COURIER, calls, "Подъезжаю")
    return next(c.chat_id for c in market.chats.values() if c.order_id == 42)


def partner_texts(market: FakeMarket, chat_id: int) -> list[str | None]:
    return [m.get("message") for m in market.chat_messages(chat_id) if m["sender"] == "PARTNER"]


def said_to(harness: Harness, user_id: int) -> list[str]:
    return [
        str(c.params.get("text", ""))
        for c in harness.telegram.calls
        if c.method == "sendMessage" and int(c.params["chat_id"]) == user_id
    ]


async def settle(harness: Harness) -> None:
    """Let the retry worker run past its `owed_after` (0.2 s here, 30 s in production)."""
    await asyncio.sleep(1.0)


# Each result told once


async def test_a_quick_phrase_is_confirmed_once_not_again_half_a_minute_later(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    await courier_of_42(harness, market, db, box, shop)
    await settle(harness)
    oks = [s for s in said_to(harness, COURIER) if s.startswith("✅ Сообщение отправлено")]
    assert len(oks) == 1, f"one phrase sent, confirmed {len(oks)} times: {oks}"


async def test_a_refused_answer_is_not_reported_again_after_the_retry_went_through(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "Где заказ?")
    market.fail("sendMessageToChat", status=400, code="BAD_REQUEST", message="bad")
    await harness.press(OWNER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    await harness.send(OWNER, "Едет")
    await harness.send(OWNER, "Едет")  # the retry: ✅
    await settle(harness)
    said = said_to(harness, OWNER)
    first_ok = next(i for i, s in enumerate(said) if s.startswith("✅"))
    assert not [s for s in said[first_ok + 1 :] if "❌" in s], (
        f"the old ❌ is told again after the ✅: {said}"
    )


# The reply step hands back to /track


async def test_courier_answers_with_the_reply_button_mid_track_and_his_track_code_still_goes(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    chat_id = await courier_of_42(harness, market, db, box, shop)
    card = await harness.send(COURIER, "/track 42")
    await harness.press_button(COURIER, card, "СДЭК")
    await buyer_says(harness, market, "Где вы?")
    copy = shown_to(harness, COURIER, "Где вы?")
    reply = ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack()
    await harness.press(COURIER, reply, message_id=copy["message_id"])
    assert "✅" in texts(await harness.send(COURIER, "Через 5 минут"))
    calls = await harness.send(COURIER, "CDEK-123456")
    assert NOT_UNDERSTOOD not in texts(calls), "the /track step (order, СДЭК) was silently dropped"
    assert "CDEK-123456" in texts(calls)


# A command stays a command


async def test_a_command_sent_as_a_reply_to_the_buyers_message_is_not_sent_to_the_buyer(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """Telegram keeps a started reply: a command tapped in the menu then goes as that reply, and runs as a
    command."""
    chat_id = await courier_of_42(harness, market, db, box, shop)
    await buyer_says(harness, market, "Где вы?")
    copy = shown_to(harness, COURIER, "Где вы?")
    calls = await harness.send(
        COURIER, "/track 42", reply_to_message=bot_message(copy["message_id"], COURIER)
    )
    assert "/track 42" not in partner_texts(market, chat_id), "the buyer got the courier's command"
    assert "Заказ №42" in texts(calls), "/track started"


# A photo's caption goes too


async def test_a_doorway_photo_with_a_caption_sends_the_caption_too(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    chat_id = await courier_of_42(harness, market, db, box, shop)
    await buyer_says(harness, market, "Где вы?")
    copy = shown_to(harness, COURIER, "Где вы?")
    harness.telegram.files["photo-1"] = b"\xff\xd8\xff jpeg bytes"
    await harness.send(
        COURIER,
        None,
        photo=PHOTO,
        caption="Оставил у этой двери, 3 подъезд",
        reply_to_message=bot_message(copy["message_id"], COURIER),
    )
    assert len(market.chat_files(chat_id)) == 1
    assert "Оставил у этой двери, 3 подъезд" in partner_texts(market, chat_id), "the caption was lost"


# A busy Market keeps the answer


async def test_a_reply_while_the_market_is_busy_is_kept_and_sent_later(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    chat_id = await courier_of_42(harness, market, db, box, shop)
    await buyer_says(harness, market, "Где вы?")
    copy = shown_to(harness, COURIER, "Где вы?")
    market.fail("getChat", status=503, times=10)
    calls = await harness.send(
        COURIER, "Я у подъезда", reply_to_message=bot_message(copy["message_id"], COURIER)
    )
    market.faults.clear()
    await settle(harness)
    assert "Я у подъезда" in partner_texts(market, chat_id), f"dropped; the courier saw: {texts(calls)}"


# The next photo or line after an answer


async def test_the_second_photo_of_an_album_goes_to_the_buyer_too(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    chat_id = await courier_of_42(harness, market, db, box, shop)
    await buyer_says(harness, market, "Где вы?")
    copy = shown_to(harness, COURIER, "Где вы?")
    harness.telegram.files["photo-1"] = b"\xff\xd8\xff jpeg bytes"
    harness.telegram.files["photo-2"] = b"\xff\xd8\xff jpeg bytes 2"
    await harness.press(
        COURIER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack(), message_id=copy["message_id"]
    )
    await harness.send(COURIER, None, photo=PHOTO, media_group_id="album1")
    calls = await harness.send(COURIER, None, photo=PHOTO_2, media_group_id="album1")
    assert "не фото" not in texts(calls), "the second doorway photo was read as a parcel label"
    assert len(market.chat_files(chat_id)) == 2


async def test_a_second_short_text_right_after_an_answer_is_not_met_with_dont_understand(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    chat_id = await courier_of_42(harness, market, db, box, shop)
    await buyer_says(harness, market, "Где вы?")
    copy = shown_to(harness, COURIER, "Где вы?")
    await harness.press(
        COURIER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack(), message_id=copy["message_id"]
    )
    await harness.send(COURIER, "Я внизу")
    calls = await harness.send(COURIER, "Спуститесь, пожалуйста")
    assert NOT_UNDERSTOOD not in texts(calls), "the follow-up was dropped with a hint about labels"


# Any message about the chat takes a swipe reply


async def test_a_swipe_reply_to_an_opened_chat_answers_that_chat(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = market.add_chat(CAMPAIGN, 42)
    market.buyer_writes(chat_id, "Можно после 18?")
    listing = await harness.send(OWNER, "/chats")
    await harness.press_button(OWNER, listing, "заказ №42")
    log = shown_to(harness, OWNER, "последние сообщения")
    calls = await harness.send(OWNER, "Да, после 18", reply_to_message=bot_message(log["message_id"], OWNER))
    assert NOT_UNDERSTOOD not in texts(calls)
    assert "Да, после 18" in partner_texts(market, chat_id)


async def test_a_swipe_reply_to_the_sent_confirmation_answers_the_same_chat(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "Можно после 18?")
    copy = shown_to(harness, OWNER, "Можно после 18?")
    await harness.send(OWNER, "Да", reply_to_message=bot_message(copy["message_id"], OWNER))
    sent = shown_to(harness, OWNER, "✅ Сообщение отправлено")
    calls = await harness.send(
        OWNER, "И позвоните курьеру", reply_to_message=bot_message(sent["message_id"], OWNER)
    )
    assert NOT_UNDERSTOOD not in texts(calls)
    assert "И позвоните курьеру" in partner_texts(market, chat_id)


# The owner's switch ends a courier's reply step


async def test_when_the_owner_switches_couriers_off_an_open_reply_step_ends(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    chat_id = await courier_of_42(harness, market, db, box, shop)
    await buyer_says(harness, market, "Где вы?")
    copy = shown_to(harness, COURIER, "Где вы?")
    await harness.press(
        COURIER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack(), message_id=copy["message_id"]
    )
    team = await harness.send(OWNER, "/team")
    await harness.press_button(OWNER, team, "Курьеры пишут покупателям")
    first = await harness.send(COURIER, "Буду через 5 минут")
    assert "выключил" in texts(first)
    calls = await harness.send(COURIER, "42")  # a bare order number opens its card
    assert "выключил" not in texts(calls), "every later message is refused again: stuck until /cancel"
    assert "Заказ №42" in texts(calls)


# The log names the shop, not «Вы»


async def test_the_chat_log_says_the_shop_answered_not_you(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    chat_id = await courier_of_42(harness, market, db, box, shop)
    await buyer_says(harness, market, "Где вы?")
    listing = await harness.send(OWNER, "/chats")
    await harness.press(COURIER, ChatCD(action="phrase", shop_id=shop, chat_id=chat_id, n=0).pack())
    opened = await harness.press_button(OWNER, listing, "заказ №42")
    log = shown_to(harness, OWNER, "последние сообщения")["text"]
    assert "· Вы</i>" not in log, f"the owner is told he wrote what the courier wrote:\n{log}"
    assert buttons_of(opened)


# Wording


async def test_cancel_in_the_reply_step_talks_about_the_reply_not_track_or_date(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "?")
    await harness.press(OWNER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    said = texts(await harness.send(OWNER, "/cancel"))
    assert "/track или /date" not in said, said


async def test_opening_a_chat_when_the_market_is_busy_does_not_say_a_message_was_not_sent(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    await add_courier(db, box, shop, COURIER)
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    card = await harness.send(COURIER, "/order 42")
    market.fail("createChat", status=420, times=10)
    said = texts(await harness.press_button(COURIER, card, "Написать покупателю"))
    assert "не отправлено" not in said, f"nothing was being sent yet:\n{said}"


async def test_a_photo_sent_is_confirmed_with_its_order_like_a_text(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "?")
    harness.telegram.files["photo-1"] = b"\xff\xd8\xff jpeg bytes"
    await harness.press(OWNER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    said = texts(await harness.send(OWNER, None, photo=PHOTO))
    assert "№42" in said, said


async def test_swipe_mid_track_keeps_the_track_step_and_photo_replies_route(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    chat_id = await courier_of_42(harness, market, db, box, shop)
    card = await harness.send(COURIER, "/track 42")
    await harness.press_button(COURIER, card, "СДЭК")
    market.buyer_writes(chat_id, "Вот мой подъезд", files=[("door.jpg", b"\xff\xd8 door")])
    await harness.deps.chat_feed.turn(poll_every=True)
    photo = [
        c for c in harness.telegram.calls if c.method == "sendPhoto" and int(c.params["chat_id"]) == COURIER
    ]
    calls = await harness.send(
        COURIER, "Вижу, иду", reply_to_message=bot_message(photo[-1].result["message_id"], COURIER)
    )
    assert "✅" in texts(calls)
    assert "CDEK-123456" in texts(await harness.send(COURIER, "CDEK-123456"))
    assert "Вижу, иду" in partner_texts(market, chat_id)


async def test_voice_sticker_twice_pressed_and_phrase_after_cancel(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    chat_id = await courier_of_42(harness, market, db, box, shop)
    data = ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack()
    first = await harness.press(COURIER, data)
    await harness.press(COURIER, data)
    extras: list[dict[str, Any]] = [{"voice": VOICE}, {"sticker": STICKER}]
    for extra in extras:
        said = texts(await harness.send(COURIER, None, **extra))
        assert "текст, фото или файл" in said and "/cancel" in said
    await harness.send(COURIER, "/cancel")
    assert "✅" in texts(await harness.press_button(COURIER, first, "Оставил заказ"))
    assert partner_texts(market, chat_id).count("Оставил заказ у двери") == 1


async def test_chats_counts_in_russian_and_english(harness: Harness, market: FakeMarket, shop: int) -> None:
    assert "нет чатов" in texts(await harness.send(OWNER, "/chats"))
    wanted = {1: "1 чат ", 2: "2 чата", 5: "5 чатов", 21: "21 чат ", 25: "25 чатов"}
    for n in range(1, 26):
        market.add_order(CAMPAIGN, n, "DELIVERY")
        market.buyer_writes(market.add_chat(CAMPAIGN, n), f"msg {n}")
        if n in wanted:
            said = texts(await harness.send(OWNER, "/chats"))
            assert wanted[n] in said, said
    calls = await harness.send(OWNER, "/chats")
    assert "и ещё 15" in texts(calls) and len(buttons_of(calls)) == 10
    assert "25 chats" in texts(await harness.send(OWNER, "/chats", language="en"))


async def test_a_line_soon_after_an_answer_is_offered_to_the_chat_and_a_number_opens_its_card(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    market.add_order(CAMPAIGN, 43, "DELIVERY")
    chat_id = await buyer_says(harness, market, "Где заказ?")
    await harness.press(OWNER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    assert "✅" in texts(await harness.send(OWNER, "Едет"))
    asked = await harness.send(OWNER, "Будет к семи")
    assert "Отправить это покупателю заказа №42" in texts(asked), "asked, never sent unasked"
    assert partner_texts(market, chat_id) == ["Едет"]
    done = await harness.press_button(OWNER, asked, "Отправить покупателю")
    assert "✅ Сообщение отправлено покупателю заказа №42" in texts(done)
    assert partner_texts(market, chat_id) == ["Едет", "Будет к семи"]
    await harness.press_button(OWNER, asked, "Отправить покупателю")
    assert partner_texts(market, chat_id) == ["Едет", "Будет к семи"], "one press sends it once"

    left = await harness.send(OWNER, "Спасибо")
    card = await harness.send(OWNER, "43")
    assert "Заказ №43" in texts(card), "a number is still the order's card"
    late = await harness.press_button(OWNER, left, "Отправить покупателю")
    assert "уже не ждёт отправки" in texts(late), "another conversation began: the line is not sent"
    assert partner_texts(market, chat_id) == ["Едет", "Будет к семи"]
