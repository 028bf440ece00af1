"""Buyers' chats from Telegram: a buyer's message shown with its order and buttons; a Telegram reply or
«↩️ Ответить» then a text or a photo reaches the chat (the exact text, the file's bytes); a courier's
quick phrase from the order card opens the chat and sends in one tap; the others' copies say who
answered; /chats lists the waiting chats and opens one; who may not read or answer cannot (a removed
courier, a stranger, forged buttons, the owner's switch); a key without chats is told what to add."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import QUIETER
from bot.domain.notifications import parse_event
from bot.telegram.callbacks import ChatCD
from storage.db import Database
from storage.repositories import MembershipsRepo, ShopsRepo
from storage.secrets import SecretBox
from tests.conftest import OWNER_KEY, add_courier
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import BOT_ID, keyboard
from tests.handlers.conftest import CAMPAIGN, COURIER, OWNER, STRANGER, Harness, buttons_of, texts


def bot_message(message_id: int, user_id: int) -> dict[str, Any]:
    """A message the bot sent `user_id`, as a reply quotes it."""
    return {
        "message_id": message_id,
        "date": 0,
        "chat": {"id": user_id, "type": "private", "first_name": "Tester"},
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "DBS helper"},
        "text": "…",
    }


def shown_to(harness: Harness, user_id: int, part: str) -> dict[str, Any]:
    """The newest message to `user_id` whose text has `part` (its params, with its message id)."""
    for call in reversed(harness.telegram.calls):
        mine = call.method == "sendMessage" and int(call.params["chat_id"]) == user_id
        if mine and part in str(call.params.get("text", "")):
            return {**call.params, "message_id": call.result["message_id"]}
    raise AssertionError(f"nothing with {part!r} for {user_id}: {texts(harness.telegram.calls)}")


async def buyer_says(harness: Harness, market: FakeMarket, text: str, order_id: int = 42, **kw: Any) -> int:
    """The buyer of the order writes; the bot's chat poll runs. Returns the chat id."""
    chats = [c for c in market.chats.values() if c.order_id == order_id]
    chat_id = chats[0].chat_id if chats else market.add_chat(CAMPAIGN, order_id)
    market.buyer_writes(chat_id, text, **kw)
    await harness.deps.chat_feed.turn(poll_every=True)
    return chat_id


async def test_a_buyers_message_reaches_the_owner_with_its_order_and_a_reply_reaches_the_chat(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "Можно после 18:00? <b>срочно</b>")
    shown = shown_to(harness, OWNER, "Можно после 18:00?")
    assert "№42" in shown["text"] and "Анна" in shown["text"] and "Петрова" not in shown["text"]
    assert "&lt;b&gt;срочно" in shown["text"], "the buyer's text is shown as written, not as markup"
    assert [text for text, _ in keyboard(shown)] == ["↩️ Ответить", "📋 Карточка заказа"]

    calls = await harness.send(
        OWNER, "Да, привезём к 19:00", reply_to_message=bot_message(shown["message_id"], OWNER)
    )
    assert "✅ Сообщение отправлено покупателю заказа №42" in texts(calls)
    sent = market.calls("sendMessageToChat")
    assert [c.body for c in sent] == [{"message": "Да, привезём к 19:00"}]
    assert sent[0].query["chatId"] == [str(chat_id)]
    assert not market.spec_errors


async def test_reply_button_then_a_text_or_a_photo_reaches_the_chat(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "Где курьер?")
    calls = await harness.press(OWNER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    assert "Ответ покупателю заказа №42" in texts(calls)
    calls = await harness.send(OWNER, "Будет через час")
    assert "✅" in texts(calls)

    harness.telegram.files["photo-1"] = b"\xff\xd8\xff jpeg bytes"
    await harness.press(OWNER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    photo = [{"file_id": "photo-1", "file_unique_id": "u1", "width": 10, "height": 10, "file_size": 17}]
    calls = await harness.send(OWNER, None, photo=photo)
    assert "✅ Файл отправлен покупателю" in texts(calls)
    assert [c.body for c in market.calls("sendMessageToChat")] == [{"message": "Будет через час"}]
    files = market.chat_files(chat_id)
    assert [f.data for f in files] == [b"\xff\xd8\xff jpeg bytes"]
    assert not market.spec_errors


async def test_a_text_over_4096_characters_is_refused_with_its_count_and_the_step_stays(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "?")
    await harness.press(OWNER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    calls = await harness.send(OWNER, "я" * 4097)
    assert "4097" in texts(calls) and "4096" in texts(calls)
    assert market.calls("sendMessageToChat") == []
    calls = await harness.send(OWNER, "Коротко: привезём завтра")
    assert "✅" in texts(calls), "still answering the same chat"


async def test_a_couriers_quick_phrase_from_the_card_opens_the_chat_and_sends_in_one_tap(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    await add_courier(db, box, shop, COURIER)
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    card = await harness.send(COURIER, "/order 42")
    assert "💬 Написать покупателю" in buttons_of(card)
    calls = await harness.press_button(COURIER, card, "Написать покупателю")
    assert buttons_of(calls)[:3] == [
        "Подъезжаю, буду через 15 минут",
        "Не могу дозвониться, перезвоните, пожалуйста",
        "Оставил заказ у двери",
    ]
    calls = await harness.press_button(COURIER, calls, "Оставил заказ у двери")
    assert "✅ Сообщение отправлено покупателю заказа №42" in texts(calls)
    assert [c.body for c in market.calls("createChat")] == [{"context": {"type": "ORDER", "id": 42}}]
    assert [c.body for c in market.calls("sendMessageToChat")] == [{"message": "Оставил заказ у двери"}]
    assert not market.spec_errors


async def test_once_one_member_answers_the_others_copy_says_who(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    await add_courier(db, box, shop, COURIER)
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = market.add_chat(CAMPAIGN, 42)
    # the courier wrote to the buyer already: the order's courier now hears the buyer too
    await harness.press(COURIER, ChatCD(action="phrase", shop_id=shop, chat_id=chat_id, n=0).pack())
    await buyer_says(harness, market, "Позвоните мне")
    couriers_copy = shown_to(harness, COURIER, "Позвоните мне")
    owners_copy = shown_to(harness, OWNER, "Позвоните мне")

    await harness.send(
        OWNER, "Сейчас позвоним", reply_to_message=bot_message(owners_copy["message_id"], OWNER)
    )
    edits = [e for e in harness.telegram.sent("editMessageReplyMarkup") if int(e["chat_id"]) == COURIER]
    assert [int(e["message_id"]) for e in edits] == [couriers_copy["message_id"]]
    assert "✅ Ответил(а)" in keyboard(edits[0])[0][0]
    assert not [e for e in harness.telegram.sent("editMessageReplyMarkup") if int(e["chat_id"]) == OWNER]


async def test_a_stranger_a_removed_courier_and_forged_buttons_cannot_read_or_answer(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    await add_courier(db, box, shop, COURIER)
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "Секретный адрес: Ленина 5")
    owners_copy = shown_to(harness, OWNER, "Секретный адрес")

    for user in (STRANGER, COURIER):
        if user == COURIER:
            await MembershipsRepo(db).remove(COURIER, shop)
        for action in ("open", "reply", "phrase"):
            calls = await harness.press(user, ChatCD(action=action, shop_id=shop, chat_id=chat_id).pack())
            assert "Секретный" not in texts(calls)
        # a reply to the owner's copy, forwarded to them, finds no route for them
        calls = await harness.send(
            user, "Это я", reply_to_message=bot_message(owners_copy["message_id"], user)
        )
        assert "Секретный" not in texts(calls)
    assert market.calls("sendMessageToChat") == []
    assert market.calls("getChatHistory")[1:] == [], "only the poll read the chat"

    # another shop's chat through the owner's own button: refused
    market.add_campaign(1003, "other.example")
    other = market.add_chat(1003, 77)
    calls = await harness.press(OWNER, ChatCD(action="open", shop_id=shop, chat_id=other).pack())
    assert "недоступен" in texts(calls)


async def test_the_owner_turns_couriers_chats_off_and_a_courier_cannot_write(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    await add_courier(db, box, shop, COURIER)
    await ShopsRepo(db, box).set_couriers_write(shop, False)
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    card = await harness.send(COURIER, "/order 42")
    assert "💬 Написать покупателю" not in buttons_of(card)
    calls = await harness.press(COURIER, ChatCD(action="write", shop_id=shop, order_id=42).pack())
    assert "выключил переписку курьеров" in texts(calls)
    assert market.calls("createChat") == [] and market.calls("sendMessageToChat") == []


async def test_chats_lists_the_waiting_chats_oldest_first_and_opens_the_last_messages(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    for order_id in (41, 42):
        market.add_order(CAMPAIGN, order_id, "DELIVERY")
    first = market.add_chat(CAMPAIGN, 41)
    market.buyer_writes(first, "первый")
    second = market.add_chat(CAMPAIGN, 42, customer="Борис")
    for n in range(12):
        market.buyer_writes(second, f"сообщение {n}")
    calls = await harness.send(OWNER, "/chats")
    text = texts(calls)
    assert text.index("заказ №41") < text.index("заказ №42"), "the longest waiting first"
    assert "ждёт" in text
    calls = await harness.press_button(OWNER, calls, "заказ №42")
    shown = texts(calls)
    assert "сообщение 11" in shown and "сообщение 2" in shown and "сообщение 1\n" not in shown
    assert "↩️ Ответить" in buttons_of(calls)


async def test_a_key_without_the_communication_scope_is_told_what_to_add(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.keys[OWNER_KEY].scopes = ["INVENTORY_AND_ORDER_PROCESSING"]
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    calls = await harness.send(OWNER, "/chats")
    assert "communication" in texts(calls)
    card = await harness.send(OWNER, "/order 42")
    calls = await harness.press_button(OWNER, card, "Написать покупателю")
    assert "communication" in texts(calls)
    card = await harness.send(OWNER, "/order 42")
    assert "Трек" in texts(card) or "№42" in texts(card), "the rest keeps working"


async def test_a_refused_message_says_the_markets_reason_and_the_next_try_goes(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "?")
    market.fail("sendMessageToChat", status=400, code="CHAT_CLOSED", message="Chat is closed for messages")
    await harness.press(OWNER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    calls = await harness.send(OWNER, "Привезём завтра")
    said = texts(calls)
    assert "❌ Сообщение покупателю не отправлено" in said and "Chat is closed for messages" in said
    calls = await harness.send(OWNER, "Привезём завтра")
    assert "✅" in texts(calls), "the reply step stayed open: the next try went"
    assert [c.status for c in market.calls("sendMessageToChat")] == [400, 200]


async def test_a_message_the_market_refuses_for_its_limit_is_queued_then_sent_once_and_told(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "?")
    market.fail("sendMessageToChat", status=420, retry_after="0")
    calls = await harness.send(
        OWNER,
        "Будем в 19:00",
        reply_to_message=bot_message(shown_to(harness, OWNER, "?")["message_id"], OWNER),
    )
    assert "⏳" in texts(calls) and "сохранено" in texts(calls)
    await harness.wait_sent("✅ Сообщение отправлено покупателю заказа №42")
    assert [c.status for c in market.calls("sendMessageToChat")] == [420, 200]
    assert [m["message"] for m in market.chat_messages(chat_id) if m["sender"] == "PARTNER"] == [
        "Будем в 19:00"
    ]
    rows = await harness.db.fetch_all("SELECT payload FROM operations WHERE kind = 'chat'")
    assert ["Будем в 19:00" in r["payload"] for r in rows] == [False], "the text is not kept once sent"


async def test_a_lost_answer_is_not_sent_twice_when_the_chat_shows_it_arrived(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "?")
    market.fail("sendMessageToChat", status=500, apply=True)  # taken by the Market, its answer lost
    await harness.press(OWNER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    await harness.send(OWNER, "Уже едем")
    await harness.wait_sent("✅ Сообщение отправлено покупателю заказа №42")
    assert [m["message"] for m in market.chat_messages(chat_id) if m["sender"] == "PARTNER"] == ["Уже едем"]
    assert len(market.calls("sendMessageToChat")) == 1, "the retry read the chat and found it there"


async def test_a_buyers_text_and_files_are_never_logged_or_stored(
    harness: Harness, market: FakeMarket, shop: int, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)  # everything the bot logs, as production sets its libraries up
    for name, quiet in QUIETER.items():
        caplog.set_level(quiet, logger=name)
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = market.add_chat(CAMPAIGN, 42, customer="Анна Секретова")
    files = [("passport-scan.jpg", b"\xff\xd8 secret"), ("паспорт-скан.pdf", b"%PDF secret")]
    market.buyer_writes(chat_id, "Мой подъезд 7, код 1234К", files=files)
    await harness.deps.chat_feed.turn(poll_every=True)
    message_id = market.buyer_writes(chat_id, "Второй этаж, квартира 15")
    event = {"notificationType": "CHAT_MESSAGE_SENT", "chatId": chat_id, "businessId": 777}
    await harness.deps.chat_feed.on_event(
        parse_event({**event, "messageId": str(message_id), "sentAt": _now()})
    )
    shown = texts(harness.telegram.calls)
    assert "код 1234К" in shown and "квартира 15" in shown
    assert harness.telegram.sent("sendPhoto"), "the photo was shown"
    await harness.send(OWNER, "/chats")
    for secret in ("код 1234К", "квартира 15", "Секретова", "passport-scan", "паспорт-скан", "secret"):
        assert secret not in caplog.text
        assert secret.encode() not in database_bytes(tmp_path)


async def test_a_courier_the_owner_does_not_let_write_still_hears_the_buyer_without_a_reply_button(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    await add_courier(db, box, shop, COURIER)
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = market.add_chat(CAMPAIGN, 42)
    await harness.press(COURIER, ChatCD(action="phrase", shop_id=shop, chat_id=chat_id, n=1).pack())
    await ShopsRepo(db, box).set_couriers_write(shop, False)
    await buyer_says(harness, market, "Перезваниваю")
    copy = shown_to(harness, COURIER, "Перезваниваю")
    assert [text for text, _ in keyboard(copy)] == ["📋 Карточка заказа"]
    reply = bot_message(copy["message_id"], COURIER)
    calls = await harness.send(COURIER, "Ок", reply_to_message=reply)
    assert "выключил переписку курьеров" in texts(calls)
    assert len(market.calls("sendMessageToChat")) == 1, "only the phrase sent before"


async def test_a_question_about_a_product_goes_to_the_owner_only(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    await add_courier(db, box, shop, COURIER)
    chat_id = market.add_chat(CAMPAIGN, None)
    market.buyer_writes(chat_id, "Есть синий цвет?")
    await harness.deps.chat_feed.turn(poll_every=True)
    owners = shown_to(harness, OWNER, "Есть синий цвет?")
    assert "Вопрос о товаре" in owners["text"] and [t for t, _ in keyboard(owners)] == ["↩️ Ответить"]
    assert not [c for c in harness.telegram.sent("sendMessage") if int(c["chat_id"]) == COURIER]
    calls = await harness.press(COURIER, ChatCD(action="open", shop_id=shop, chat_id=chat_id).pack())
    assert "синий" not in texts(calls)
    calls = await harness.send(OWNER, "Есть!", reply_to_message=bot_message(owners["message_id"], OWNER))
    assert "✅ Сообщение отправлено покупателю." in texts(calls)


async def test_quick_phrases_come_in_the_users_language(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    card = await harness.send(OWNER, "/order 42", language="en")
    calls = await harness.press_button(OWNER, card, "Message the buyer", language="en")
    assert "I left the order at your door" in buttons_of(calls)
    calls = await harness.press_button(OWNER, calls, "I left the order at your door", language="en")
    assert "✅ Message sent to the buyer of order #42" in texts(calls)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def database_bytes(folder: Path) -> bytes:
    """Everything SQLite wrote: the database file and its WAL."""
    return b"".join(p.read_bytes() for p in folder.glob("bot.sqlite3*"))


async def test_a_phrase_tapped_twice_goes_once(harness: Harness, market: FakeMarket, shop: int) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    card = await harness.send(OWNER, "/order 42")
    phrases = await harness.press_button(OWNER, card, "Написать покупателю")
    await harness.press_button(OWNER, phrases, "Подъезжаю")
    calls = await harness.press_button(OWNER, phrases, "Подъезжаю")
    assert "повторно не отправляю" in texts(calls)
    assert len(market.calls("sendMessageToChat")) == 1
