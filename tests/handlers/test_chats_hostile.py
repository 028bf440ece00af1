"""Buyer chats under attack or bad luck: forged buttons, other shops' couriers, hostile content, floods
of messages and chats, many or broken files, duplicate notifications; each press answered once, every
message within Telegram's limits, nothing of the buyer's in logs or the database."""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from pathlib import Path

import pytest

from bot.domain.notifications import parse_event
from bot.telegram.callbacks import ChatCD
from storage.db import Database
from storage.repositories import MembershipsRepo
from storage.secrets import SecretBox
from tests.conftest import add_courier, seed_shop
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import Call
from tests.handlers.conftest import CAMPAIGN, COURIER, OWNER, STRANGER, Harness, texts
from tests.handlers.test_chats import bot_message, buyer_says, database_bytes, shown_to

TAG = re.compile(r"<[^>]+>")


def shown_length(text: str) -> int:
    """The length Telegram counts: after the HTML entities are parsed."""
    return len(html.unescape(TAG.sub("", text)))


def over_the_limits(calls: list[Call]) -> list[str]:
    """Every message text over 4,096 characters and callback data over 64 bytes the bot sent."""
    bad: list[str] = []
    for call in calls:
        text = call.params.get("text")
        message = call.method in ("sendMessage", "editMessageText") and isinstance(text, str)
        if message and shown_length(str(text)) > 4096:
            bad.append(f"{call.method} of {shown_length(str(text))} characters")
        markup = call.params.get("reply_markup")
        if isinstance(markup, dict):
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    data = button.get("callback_data")
                    if data is not None and len(data.encode()) > 64:
                        bad.append(f"callback data of {len(data.encode())} bytes: {data}")
    return bad


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


async def test_a_message_with_many_files_still_fits_telegram(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """A buyer attaches many files with long names: the message still fits Telegram's limit."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = market.add_chat(CAMPAIGN, 42)
    files = [(f"{n:02d}-" + "ф" * 120 + ".pdf", b"%PDF tiny") for n in range(45)]
    market.buyer_writes(chat_id, "Посмотрите документы", files=files)
    await harness.deps.chat_feed.turn(poll_every=True)
    assert over_the_limits(harness.telegram.calls) == []


async def test_a_long_text_with_many_files_still_fits_telegram(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """A long text with many files: every part fits Telegram's limit, and the text comes whole."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = market.add_chat(CAMPAIGN, 42)
    files = [(f"{n:02d}-" + "a" * 100 + ".pdf", b"%PDF tiny") for n in range(45)]
    market.buyer_writes(chat_id, "я" * 4000, files=files)
    await harness.deps.chat_feed.turn(poll_every=True)
    assert over_the_limits(harness.telegram.calls) == []


@pytest.mark.parametrize("chat_id", [0, -1])
async def test_forged_zero_or_negative_chat_id_is_refused_without_an_out_of_spec_call(
    harness: Harness, market: FakeMarket, shop: int, chat_id: int
) -> None:
    """Forged «ch:open:<shop>:0» / «…:-1»: refused here, no out-of-spec call to the Market."""
    calls = await harness.press(OWNER, ChatCD(action="open", shop_id=shop, chat_id=chat_id).pack())
    bad = list(market.spec_errors)
    market.spec_errors.clear()  # the fixture's own check would fail the teardown instead
    assert "недоступен" in texts(calls) or "устарела" in texts(calls), texts(calls)
    assert bad == []


@pytest.mark.parametrize("order_id", [0, -7])
async def test_forged_write_for_a_zero_or_negative_order_makes_no_out_of_spec_call(
    harness: Harness, market: FakeMarket, shop: int, order_id: int
) -> None:
    calls = await harness.press(OWNER, ChatCD(action="write", shop_id=shop, order_id=order_id).pack())
    assert "❌" not in texts(calls) or "Request is invalid" not in texts(calls), texts(calls)
    bad = list(market.spec_errors)
    market.spec_errors.clear()
    assert bad == []


async def test_a_picture_telegram_refuses_does_not_lose_the_other_files(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """Telegram refuses a broken .jpg as a photo: it goes as a document and the PDF after it still comes."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = market.add_chat(CAMPAIGN, 42)
    market.buyer_writes(
        chat_id, "Вот фото и чек", files=[("broken.jpg", b"not a jpeg"), ("check.pdf", b"%PDF-1.4")]
    )
    harness.telegram.fail("sendPhoto", 400, "Bad Request: IMAGE_PROCESS_FAILED")
    await harness.deps.chat_feed.turn(poll_every=True)
    await harness.deps.chat_feed.turn(poll_every=True)
    documents = harness.telegram.sent("sendDocument")
    assert len(documents) == 2, "both files reach the owner (the photo as a document)"


async def test_a_flood_wait_on_a_file_does_not_show_the_message_twice(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """Telegram says «retry after» on the photo after the text went: the buyer's text is not shown twice."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = market.add_chat(CAMPAIGN, 42)
    market.buyer_writes(chat_id, "Дверь справа", files=[("door.jpg", b"\xff\xd8\xff jpeg")])
    harness.telegram.fail("sendPhoto", 429, "Too Many Requests: retry after 1")
    await harness.deps.chat_feed.turn(poll_every=True)
    await harness.deps.chat_feed.turn(poll_every=True)
    headers = [p for p in harness.telegram.sent("sendMessage", OWNER) if "Дверь справа" in p["text"]]
    assert len(headers) == 1, f"shown {len(headers)} times"
    assert len(harness.telegram.sent("sendPhoto")) == 2, "the photo tried again"


async def test_a_new_message_in_a_shop_with_over_100_waiting_chats_reaches_the_owner(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """A shop with 101 chats waiting: a new message in the last one still reaches the owner."""
    for order_id in range(1, 102):
        market.add_order(CAMPAIGN, order_id, "DELIVERY")
        market.add_chat(CAMPAIGN, order_id)  # NEW: waiting for the shop
    await harness.deps.chat_feed.turn(poll_every=True)
    first = next(c.chat_id for c in market.chats.values() if c.order_id == 1)
    market.buyer_writes(first, "Где мой заказ? Третий день жду")
    await harness.deps.chat_feed.turn(poll_every=True)
    assert "Третий день жду" in texts(harness.telegram.calls)


async def test_a_flood_of_over_500_buyer_messages_loses_none(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """A buyer floods 501 messages between two polls: none is lost, the newest included."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "первое")
    for n in range(500):
        market.buyer_writes(chat_id, f"спам {n}")
    market.buyer_writes(chat_id, "ПОСЛЕДНЕЕ: код домофона 77")
    for _ in range(6):  # 100 told a deliver: all recorded ones are out after these
        await harness.deps.chat_feed.turn(poll_every=True)
    told = [p["text"] for p in harness.telegram.sent("sendMessage", OWNER)]
    spam = sum("спам" in t for t in told)
    assert "ПОСЛЕДНЕЕ" in texts(harness.telegram.calls), f"{spam} of 500 spam told, the last one not"


async def test_a_buyers_flood_does_not_spend_the_keys_getchat_budget(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """Messages past the first 100 of a poll are shown without one getChat and getChatMessage each (1,000 an
    hour for the key)."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "первое")
    for n in range(450):
        market.buyer_writes(chat_id, f"спам {n}")
    for _ in range(6):
        await harness.deps.chat_feed.turn(poll_every=True)
    spent = len(market.calls("getChat")) + len(market.calls("getChatMessage"))
    assert spent <= 50, (
        f"{len(market.calls('getChat'))} getChat, {len(market.calls('getChatMessage'))} getChatMessage"
    )


async def test_an_answer_the_market_refused_is_not_kept_in_the_database(
    harness: Harness, market: FakeMarket, shop: int, tmp_path: Path
) -> None:
    """The owner's answer (often the buyer's address echoed back) is refused: its text is not kept in the
    database."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "?")
    market.fail("sendMessageToChat", status=400, code="CHAT_CLOSED", message="Chat is closed")
    await harness.press(OWNER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    await harness.send(OWNER, "Привезём на Ленина 5 кв 12, тел 89161234567")
    await harness.send(OWNER, "/cancel")
    rows = await harness.db.fetch_all("SELECT payload FROM operations WHERE kind = 'chat'")
    assert not any("89161234567" in r["payload"] for r in rows)


async def test_hostile_markup_names_and_file_names_are_shown_as_written(
    harness: Harness, market: FakeMarket, shop: int, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # as bot.__main__.setup_logging does
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = market.add_chat(CAMPAIGN, 42, customer='<a href="tg://x">Злой</a> Хакер')
    names = ['..\\..\\evil"<b>.jpg', "a\u202egpj.exe", "x" * 300 + ".png"]
    market.buyer_writes(
        chat_id, "<i>привет</i> &amp; <a href='http://evil'>жми</a>", files=[(n, b"\xff\xd8") for n in names]
    )
    await harness.deps.chat_feed.turn(poll_every=True)
    shown = shown_to(harness, OWNER, "привет")
    assert "&lt;i&gt;привет" in shown["text"] and "<a href" not in shown["text"]
    assert over_the_limits(harness.telegram.calls) == []
    calls = await harness.send(OWNER, "/chats")
    assert "<a href" not in texts(calls) and over_the_limits(calls) == []
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "aiohttp.access")  # the fakes'
    for secret in ("Злой", "привет", "evil", "gpj"):
        assert secret not in logged
        assert secret.encode() not in database_bytes(tmp_path)


async def test_a_4096_character_buyer_text_is_split_within_limits(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    await buyer_says(harness, market, "<" * 4096)
    await buyer_says(harness, market, "я" * 4096)
    assert over_the_limits(harness.telegram.calls) == []
    shown = "".join(html.unescape(TAG.sub("", p["text"])) for p in harness.telegram.sent("sendMessage"))
    assert shown.count("<") == 4096 and shown.count("я") == 4096


@pytest.mark.parametrize(
    "data",
    [
        "ch:phrase:{shop}:{chat}:0:3",
        "ch:phrase:{shop}:{chat}:0:-1",
        "ch:phrase:{shop}:{chat}:0:99999999999999999999999",
        "ch:open:{shop}:99999999999999999999999:0:0",
        "ch:open:{shop}:-9223372036854775809:0:0",
        "ch:evil:{shop}:{chat}:0:0",
        "ch:open:abc:{chat}:0:0",
        "ch:open:{shop}",
        "ch:reply:9999:{chat}:0:0",
    ],
)
async def test_forged_callback_data_is_refused_and_answered_once(
    harness: Harness, market: FakeMarket, shop: int, data: str
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "Секрет 1234")
    calls = await harness.press(OWNER, data.format(shop=shop, chat=chat_id))  # answered once: harness
    assert "Секрет" not in texts(calls)
    assert market.calls("sendMessageToChat") == []


async def test_a_courier_of_another_shop_cannot_read_or_answer(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    other = await seed_shop(db, box, STRANGER, campaign=1002, domain="fbs-shop.example")
    await add_courier(db, box, other, COURIER)
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "Секрет 1234")
    owners = shown_to(harness, OWNER, "Секрет")
    for data in (
        ChatCD(action="open", shop_id=other, chat_id=chat_id).pack(),
        ChatCD(action="reply", shop_id=other, chat_id=chat_id).pack(),
        ChatCD(action="phrase", shop_id=other, chat_id=chat_id, n=0).pack(),
        ChatCD(action="open", shop_id=shop, chat_id=chat_id).pack(),
        ChatCD(action="write", shop_id=other, order_id=42).pack(),
    ):
        calls = await harness.press(COURIER, data)
        assert "Секрет" not in texts(calls)
    calls = await harness.send(COURIER, "хак", reply_to_message=bot_message(owners["message_id"], COURIER))
    assert market.calls("sendMessageToChat") == [] and market.calls("createChat") == []


async def test_a_removed_courier_in_the_middle_of_a_reply_cannot_send(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    await add_courier(db, box, shop, COURIER)
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = market.add_chat(CAMPAIGN, 42)
    await harness.press(COURIER, ChatCD(action="phrase", shop_id=shop, chat_id=chat_id, n=0).pack())
    await buyer_says(harness, market, "Жду")
    copy = shown_to(harness, COURIER, "Жду")
    await harness.press(COURIER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    await MembershipsRepo(db).remove(COURIER, shop)
    await harness.send(COURIER, "я ещё тут")
    await harness.send(COURIER, "и тут", reply_to_message=bot_message(copy["message_id"], COURIER))
    harness.telegram.files["p"] = b"\xff\xd8"
    photo = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1, "file_size": 2}]
    await harness.send(COURIER, None, photo=photo, reply_to_message=bot_message(copy["message_id"], COURIER))
    assert len(market.calls("sendMessageToChat")) == 1, "only the phrase before the removal"
    assert market.calls("sendFileToChat") == []


async def test_push_for_another_business_or_another_chats_message_is_ignored(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "мой")
    market.add_campaign(2001, "alien.example", business_id=888)
    alien = market.add_chat(2001, 5)
    market.buyer_writes(alien, "чужое из другого бизнеса")
    other = market.add_chat(CAMPAIGN, None)
    foreign_message = market.buyer_writes(other, "чужое сообщение")
    feed = harness.deps.chat_feed
    before = len(harness.telegram.sent("sendMessage"))
    outcomes = []
    for event in (
        {"chatId": chat_id, "businessId": 888, "messageId": "1"},
        {"chatId": alien, "businessId": 777, "messageId": "1"},
        {"chatId": alien, "businessId": 888, "messageId": "1"},
        {"chatId": 999_999, "businessId": 777, "messageId": "1"},
        {"chatId": chat_id, "businessId": 777, "messageId": str(foreign_message)},
    ):
        body = {"notificationType": "CHAT_MESSAGE_SENT", "sentAt": _now(), **event}
        outcomes.append(await feed.on_event(parse_event(body)))
    assert "чужое" not in texts(harness.telegram.calls[before:]), outcomes
    # the same push twice and the poll after it: told once
    mid = market.buyer_writes(chat_id, "дважды")
    body = {"notificationType": "CHAT_MESSAGE_SENT", "chatId": chat_id, "businessId": 777}
    for _ in range(2):
        await feed.on_event(parse_event({**body, "messageId": str(mid), "sentAt": _now()}))
    await feed.turn(poll_every=True)
    assert sum("дважды" in p["text"] for p in harness.telegram.sent("sendMessage", OWNER)) == 1


async def test_a_double_tap_on_a_quick_phrase_sends_it_once(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """A courier in gloves taps «Оставил заказ у двери» twice on the same prompt: the buyer gets it once."""
    await add_courier(db, box, shop, COURIER)
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    card = await harness.send(COURIER, "/order 42")
    prompt = await harness.press_button(COURIER, card, "Написать покупателю")
    await harness.press_button(COURIER, prompt, "Оставил заказ у двери")
    await harness.press_button(COURIER, prompt, "Оставил заказ у двери")
    assert len(market.calls("sendMessageToChat")) == 1
