"""Several buyers at once, on a phone: the offer of a line never guesses between them, each line has
its own offer, a swipe reply to any ✅ goes to its chat, albums told once, keys never sent."""

from __future__ import annotations

from typing import Any

from bot.telegram.callbacks import ChatCD
from storage.db import Database
from storage.secrets import SecretBox
from tests.fakes.market import FakeMarket
from tests.handlers.conftest import CAMPAIGN, COURIER, OWNER, Harness, buttons_of, texts
from tests.handlers.test_chats import bot_message, buyer_says, shown_to
from tests.handlers.test_chats_back_to_work import PHOTO_3
from tests.handlers.test_chats_on_the_go import PHOTO, PHOTO_2, courier_of_42, partner_texts, said_to


def reply_to(shop: int, chat_id: int) -> str:
    return ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack()


def swipe(harness: Harness, user: int, part: str) -> dict[str, Any]:
    return {"reply_to_message": bot_message(shown_to(harness, user, part)["message_id"], user)}


# Another buyer's chat on screen: no guess


async def test_no_offer_after_opening_another_buyers_chat(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """Owner answers №42; opens №43 from /chats; types without a swipe: no one-tap offer to №42, a hint to
    swipe."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    market.add_order(CAMPAIGN, 43, "DELIVERY")
    await buyer_says(harness, market, "Где заказ?", order_id=42)
    await harness.send(OWNER, "Едет", **swipe(harness, OWNER, "Где заказ?"))
    await buyer_says(harness, market, "А мой когда?", order_id=43)
    listing = await harness.send(OWNER, "/chats")
    await harness.press_button(OWNER, listing, "заказ №43")
    asked = texts(await harness.send(OWNER, "Ваш приедет завтра до 12"))
    assert "заказа №42" not in asked, f"the chat on screen is №43; asked: {asked!r}"


async def test_no_offer_after_another_buyer_wrote(harness: Harness, market: FakeMarket, shop: int) -> None:
    """Owner answers №42; №43's message comes in; the owner types without a swipe: no one-tap offer to №42."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    market.add_order(CAMPAIGN, 43, "DELIVERY")
    await buyer_says(harness, market, "Где заказ?", order_id=42)
    await harness.send(OWNER, "Едет", **swipe(harness, OWNER, "Где заказ?"))
    await buyer_says(harness, market, "А мой когда?", order_id=43)
    asked = texts(await harness.send(OWNER, "Ваш приедет завтра до 12"))
    assert "№43" in asked or "заказа №42" not in asked, (
        f"a newer buyer (№43) wrote since the answer to №42; asked only: {asked!r}"
    )


# Two lines in a row: each its own offer


async def test_two_lines_after_an_answer_each_offer_sends_its_own(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """Two lines typed after an answer: each offer sends its own line."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_a = await buyer_says(harness, market, "Где заказ?")
    await harness.send(OWNER, "Едет", **swipe(harness, OWNER, "Где заказ?"))
    first = await harness.send(OWNER, "Будет к семи")
    await harness.send(OWNER, "Позвоните за час")
    said = texts(await harness.press_button(OWNER, first, "Отправить покупателю"))
    assert "Будет к семи" in partner_texts(market, chat_a), f"the first line is not sendable: {said!r}"


async def test_no_on_one_offer_keeps_the_other(harness: Harness, market: FakeMarket, shop: int) -> None:
    """Two lines after an answer: «Нет» on the first, «Отправить» on the second: the second goes."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_a = await buyer_says(harness, market, "Где заказ?")
    await harness.send(OWNER, "Едет", **swipe(harness, OWNER, "Где заказ?"))
    first = await harness.send(OWNER, "ок")
    second = await harness.send(OWNER, "Позвоните за час")
    await harness.press_button(OWNER, first, "Нет, не отправлять")
    said = texts(await harness.press_button(OWNER, second, "Отправить покупателю"))
    assert "Позвоните за час" in partner_texts(market, chat_a), f"told: {said!r}"


# An album sent as a swipe reply: one ✅


async def test_an_album_sent_as_a_swipe_reply_is_confirmed_once(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """An album of 3 photos sent as a swipe reply (Telegram marks each as a reply): one ✅."""
    chat_id = await courier_of_42(harness, market, db, box, shop)
    await harness.send(COURIER, "/cancel")
    for n in (1, 2, 3):
        harness.telegram.files[f"photo-{n}"] = b"\xff\xd8\xff jpeg " + bytes([n])
    await buyer_says(harness, market, "Какой подъезд?")
    sw = swipe(harness, COURIER, "Какой подъезд?")
    before = len(said_to(harness, COURIER))
    await harness.send(COURIER, None, photo=PHOTO, media_group_id="g1", caption="Я тут", **sw)
    await harness.send(COURIER, None, photo=PHOTO_2, media_group_id="g1", **sw)
    await harness.send(COURIER, None, photo=PHOTO_3, media_group_id="g1", **sw)
    assert len(market.chat_files(chat_id)) == 3
    told = said_to(harness, COURIER)[before:]
    assert len(told) == 1, f"one album, {len(told)} confirmations: {told}"


# The courier who wrote from the card: his next line is offered


async def test_courier_who_wrote_from_the_card_is_offered_his_second_line(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """/order 42 → «💬 Написать покупателю» → a phrase; after a swipe answer, his next line is offered to the
    buyer."""
    chat_id = await courier_of_42(harness, market, db, box, shop)
    await buyer_says(harness, market, "Какой подъезд?")
    await harness.send(COURIER, "Второй", **swipe(harness, COURIER, "Какой подъезд?"))
    said = texts(await harness.send(COURIER, "Код домофона 12"))
    assert "Код домофона 12" in partner_texts(market, chat_id) or "Отправить это покупателю" in said, said


# A swipe reply to the ✅ of an offer goes to its chat


async def test_a_swipe_reply_to_the_offers_result_is_sent(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """A swipe reply to the ✅ that an offer's button produced goes to that chat."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_a = await buyer_says(harness, market, "Где заказ?")
    await harness.send(OWNER, "Едет", **swipe(harness, OWNER, "Где заказ?"))
    asked = await harness.send(OWNER, "Будет к семи")
    done = await harness.press_button(OWNER, asked, "Отправить покупателю")
    edited = next(c.params["message_id"] for c in done if c.method == "editMessageText")
    said = texts(await harness.send(OWNER, "Позвоните", reply_to_message=bot_message(edited, OWNER)))
    assert "Позвоните" in partner_texts(market, chat_a), f"a swipe to the ✅: {said!r}"


# A removed courier's everyday line is just not understood


async def test_a_courier_removed_after_answering_gets_no_chat_refusal_for_any_line(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """Removed after answering, the courier's «привет» gets no «Этот чат недоступен»."""
    from storage.repositories import MembershipsRepo

    await courier_of_42(harness, market, db, box, shop)
    await harness.send(COURIER, "/cancel")
    await buyer_says(harness, market, "Какой подъезд?")
    await harness.send(COURIER, "Второй", **swipe(harness, COURIER, "Какой подъезд?"))
    await MembershipsRepo(db).remove(COURIER, shop)
    said = texts(await harness.send(COURIER, "привет"))
    assert "чат недоступен" not in said, said


# A Market key pasted soon after an answer


async def test_a_key_pasted_soon_after_an_answer_is_not_quoted_or_sendable(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """A key pasted soon after an answer is not quoted back, not kept, not sendable."""
    from tests.conftest import OWNER_KEY

    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_a = await buyer_says(harness, market, "Где заказ?")
    await harness.send(OWNER, "Едет", **swipe(harness, OWNER, "Где заказ?"))
    calls = await harness.send(OWNER, OWNER_KEY)
    said = texts(calls)
    if "Отправить покупателю" in " ".join(buttons_of(calls)):
        await harness.press_button(OWNER, calls, "Отправить покупателю")
    assert not [t for t in partner_texts(market, chat_a) if t and "ACMA:" in t], "the key went to the buyer"
    assert "ACMA:" not in said, f"the key quoted back: {said!r}"
