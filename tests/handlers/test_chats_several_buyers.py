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


async def test_offer_after_opening_another_buyers_chat_names_the_first_order(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """Owner answers №42 (swipe). Buyer of №43 writes; the owner opens /chats → «заказ №43» (its last
    messages on screen) and types the answer without swiping. The bot asks «✉️ Отправить это
    покупателю заказа №42?» — the chat NOT on screen; one tap on «✉️ Отправить покупателю» (the button
    names no order) sends №43's answer to buyer №42."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    market.add_order(CAMPAIGN, 43, "DELIVERY")
    await buyer_says(harness, market, "Где заказ?", order_id=42)
    await harness.send(OWNER, "Едет", **swipe(harness, OWNER, "Где заказ?"))
    await buyer_says(harness, market, "А мой когда?", order_id=43)
    listing = await harness.send(OWNER, "/chats")
    await harness.press_button(OWNER, listing, "заказ №43")
    asked = texts(await harness.send(OWNER, "Ваш приедет завтра до 12"))
    assert "заказа №42" not in asked, f"the chat on screen is №43; asked: {asked!r}"


async def test_offer_after_another_buyer_wrote_still_names_the_first_order(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """Owner answers №42 (swipe). A minute later buyer №43's message comes in (the newest on screen);
    the owner types the answer without swiping: asked «…покупателю заказа №42?» with nothing saying
    №43 wrote since — the one-tap button sends it to the wrong buyer."""
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


async def test_two_lines_after_an_answer_the_first_offer_cannot_be_sent(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """After answering, the owner types two lines («Будет к семи», «Позвоните за час»): two offers, both
    with live-looking buttons. Tapping the first: «Эта строка уже не ждёт отправки» — the line is lost
    (retype it), and its buttons were never taken off."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_a = await buyer_says(harness, market, "Где заказ?")
    await harness.send(OWNER, "Едет", **swipe(harness, OWNER, "Где заказ?"))
    first = await harness.send(OWNER, "Будет к семи")
    await harness.send(OWNER, "Позвоните за час")
    said = texts(await harness.press_button(OWNER, first, "Отправить покупателю"))
    assert "Будет к семи" in partner_texts(market, chat_a), f"the first line is not sendable: {said!r}"


async def test_no_on_one_offer_silently_drops_the_other(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """Two lines after an answer: «Нет, не отправлять» on the first (it was meant for the bot) then
    «✉️ Отправить покупателю» on the second: «уже не ждёт отправки» — «Нет» on one offer killed the other."""
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
    """The courier swipes the buyer's «Какой подъезд?» and sends 3 photos as one album (Telegram marks
    each as a reply): three ✅ lines («Файл и подпись…», «Файл отправлен…», «Файл отправлен…»). The
    reply-step album is confirmed once (tested); the swipe one should be too."""
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


async def test_courier_who_wrote_from_the_card_gets_press_a_button_for_his_second_line(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """As the couriers' guide teaches: /order 42 → «💬 Написать покупателю» → «Подъезжаю». The buyer
    answers «Какой подъезд?»; the courier swipes «Второй», then adds «Код домофона 12» (no swipe): told
    «Здесь нужно нажать кнопку. Нажмите кнопку под карточкой заказа выше или /cancel.» — the card
    (nothing to do with the line) took it; no offer, nothing about the buyer."""
    chat_id = await courier_of_42(harness, market, db, box, shop)
    await buyer_says(harness, market, "Какой подъезд?")
    await harness.send(COURIER, "Второй", **swipe(harness, COURIER, "Какой подъезд?"))
    said = texts(await harness.send(COURIER, "Код домофона 12"))
    assert "Код домофона 12" in partner_texts(market, chat_id) or "Отправить это покупателю" in said, said


# A swipe reply to the ✅ of an offer goes to its chat


async def test_a_swipe_reply_to_the_offers_result_is_asked_again_not_sent(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """Swiping a «✅ Сообщение отправлено покупателю заказа №42» sends to that chat (tested) — except
    when that ✅ came from the offer's button: then the swiped line is met with one more «Отправить
    это…?» (or «Не понял» after 10 minutes)."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_a = await buyer_says(harness, market, "Где заказ?")
    await harness.send(OWNER, "Едет", **swipe(harness, OWNER, "Где заказ?"))
    asked = await harness.send(OWNER, "Будет к семи")
    done = await harness.press_button(OWNER, asked, "Отправить покупателю")
    edited = next(c.params["message_id"] for c in done if c.method == "editMessageText")
    said = texts(await harness.send(OWNER, "Позвоните", reply_to_message=bot_message(edited, OWNER)))
    assert "Позвоните" in partner_texts(market, chat_a), f"a swipe to the ✅: {said!r}"


# A removed courier's everyday line is just not understood


async def test_a_courier_removed_after_answering_gets_a_chat_refusal_for_any_line(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """The courier answered a buyer; the owner removes him from the team; within 10 minutes he types
    «привет» to the bot: «⛔ Этот чат недоступен…» about a chat he did not mention, instead of what he
    gets otherwise (no shop / «Не понял»)."""
    from storage.repositories import MembershipsRepo

    await courier_of_42(harness, market, db, box, shop)
    await harness.send(COURIER, "/cancel")
    await buyer_says(harness, market, "Какой подъезд?")
    await harness.send(COURIER, "Второй", **swipe(harness, COURIER, "Какой подъезд?"))
    await MembershipsRepo(db).remove(COURIER, shop)
    said = texts(await harness.send(COURIER, "привет"))
    assert "чат недоступен" not in said, said


# A Market key pasted soon after an answer


async def test_a_key_pasted_soon_after_an_answer_is_quoted_back_and_sendable(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """The owner answered a buyer, then pastes his new key into the chat with the bot (no /settings
    step open): «✉️ Отправить это покупателю заказа №42? ACMA:…» — the key quoted back (the message
    not deleted), kept in the FSM data (chat_pending), and one tap on «✉️ Отправить покупателю» sends
    the shop's API key to the buyer. The reply step and swipes refuse and delete it."""
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
