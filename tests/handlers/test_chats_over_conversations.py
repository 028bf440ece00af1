"""The reply step over the other conversations, under attack or bad luck: a key pasted into it,
labels and lists after an answer, refused swipe replies that must not end another conversation,
confirmations under it, a delivery read the Market refuses for a while."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.domain.clock import utcnow
from bot.telegram.callbacks import ChatCD
from storage.db import Database
from storage.secrets import SecretBox
from tests.conftest import add_courier
from tests.fakes.market import FakeMarket
from tests.handlers.conftest import CAMPAIGN, COURIER, OWNER, Harness, texts
from tests.handlers.test_chats import bot_message, buyer_says, shown_to
from tests.handlers.test_chats_on_the_go import (
    NOT_UNDERSTOOD,
    PHOTO,
    courier_of_42,
    partner_texts,
)


def fsm(harness: Harness, user_id: int) -> Any:
    return harness.dp.fsm.get_context(harness.bot, chat_id=user_id, user_id=user_id)


async def test_confirming_the_track_card_under_an_open_reply_step_keeps_the_reply_step(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """At /track's confirmation card a courier taps «↩️ Ответить», then «Отправить» on the card, then types
    the answer: it goes to the buyer."""
    chat_id = await courier_of_42(harness, market, db, box, shop)
    card = await harness.send(COURIER, "/track 42")
    card = await harness.press_button(COURIER, card, "СДЭК")
    confirm = await harness.send(COURIER, "CDEK-123456")
    await buyer_says(harness, market, "Где вы?")
    copy = shown_to(harness, COURIER, "Где вы?")
    await harness.press(
        COURIER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack(), message_id=copy["message_id"]
    )
    await harness.press_button(COURIER, confirm, "Отправить")
    calls = await harness.send(COURIER, "Через 5 минут буду")
    assert "Через 5 минут буду" in partner_texts(market, chat_id), (
        f"the reply step opened before was dropped by the track card's confirm: {texts(calls)}"
    )


async def test_a_swipe_reply_refused_for_couriers_off_does_not_wipe_the_track_in_progress(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    await courier_of_42(harness, market, db, box, shop)
    card = await harness.send(COURIER, "/track 42")
    await harness.press_button(COURIER, card, "СДЭК")
    await buyer_says(harness, market, "Где вы?")
    copy = shown_to(harness, COURIER, "Где вы?")
    team = await harness.send(OWNER, "/team")
    await harness.press_button(OWNER, team, "Курьеры пишут покупателям")
    refused = await harness.send(COURIER, "Иду", reply_to_message=bot_message(copy["message_id"], COURIER))
    assert "выключил" in texts(refused)
    calls = await harness.send(COURIER, "CDEK-123456")
    assert "CDEK-123456" in texts(calls) and NOT_UNDERSTOOD not in texts(calls), (
        f"the refused swipe reply ended the unrelated /track (order, СДЭК): {texts(calls)}"
    )


async def test_a_swipe_reply_to_an_old_shop_after_removal_does_not_wipe_the_other_shops_track(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """Removed from shop A, mid-/track in his own shop, the courier swipe-replies to an old buyer message of
    A: refused, and his /track goes on."""
    from storage.repositories import MembershipsRepo
    from tests.conftest import seed_shop

    await courier_of_42(harness, market, db, box, shop)
    await buyer_says(harness, market, "Где вы?")
    copy = shown_to(harness, COURIER, "Где вы?")
    from tests.conftest import OWNER_KEY

    market.add_campaign(2002, "courier-own.example")
    market.keys[OWNER_KEY].campaign_ids.add(2002)
    await seed_shop(db, box, COURIER, campaign=2002, domain="courier-own.example")
    market.add_order(2002, 77, "PROCESSING")
    await MembershipsRepo(db).remove(COURIER, shop)
    card = await harness.send(COURIER, "/track 77")
    await harness.press_button(COURIER, card, "СДЭК")
    refused = await harness.send(COURIER, "Иду", reply_to_message=bot_message(copy["message_id"], COURIER))
    assert "Иду" not in partner_texts(market, next(iter(market.chats)))
    calls = await harness.send(COURIER, "CDEK-777777")
    assert "CDEK-777777" in texts(calls) and NOT_UNDERSTOOD not in texts(calls), (
        f"a refused swipe reply about shop A wiped /track in shop B: {texts(refused)} / {texts(calls)}"
    )


async def test_a_label_photo_in_the_follow_up_minutes_does_not_go_to_the_buyer(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """A courier answers «Подъезжаю», then photographs the next parcel's label: it does not go to the
    buyer."""
    chat_id = await courier_of_42(harness, market, db, box, shop)
    await harness.send(COURIER, "/cancel")  # the order card's conversation ends; nothing open
    await buyer_says(harness, market, "Где вы?")
    await harness.press(COURIER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    assert "✅" in texts(await harness.send(COURIER, "Подъезжаю"))
    harness.telegram.files["photo-1"] = b"\xff\xd8\xff label of order 43: Ivanov, +7 900 ..."
    await harness.send(COURIER, None, photo=PHOTO)
    assert market.chat_files(chat_id) == [], "another buyer's label photo went to this buyer"


async def test_a_bulk_list_in_the_follow_up_minutes_is_not_sent_to_the_buyer(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "Где заказ?")
    await harness.press(OWNER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    await harness.send(OWNER, "Едет")
    lines = "42 CDEK-1111111\n43 CDEK-2222222\n44 CDEK-3333333"
    calls = await harness.send(OWNER, lines)
    assert lines not in partner_texts(market, chat_id), (
        f"a list of other orders' track codes went to this buyer: {texts(calls)}"
    )


async def test_tapping_tracks_service_under_a_reply_step_keeps_the_reply_step(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    chat_id = await courier_of_42(harness, market, db, box, shop)
    card = await harness.send(COURIER, "/track 42")
    await buyer_says(harness, market, "Где вы?")
    await harness.press(COURIER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    await harness.press_button(COURIER, card, "СДЭК")  # stale: told so, the reply step stays
    calls = await harness.send(COURIER, "Буду через 5 минут")
    assert "Буду через 5 минут" in partner_texts(market, chat_id), (
        f"the buyer's answer was taken by /track: {texts(calls)}"
    )


async def test_an_api_key_pasted_in_a_reply_step_opened_over_settings_never_reaches_the_buyer(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """At /settings' key step, «↩️ Ответить» on a buyer, then the key pasted: it never reaches the buyer."""
    from tests.conftest import OWNER_KEY

    market.add_order(CAMPAIGN, 42, "DELIVERY")
    await harness.send(OWNER, "/settings")
    chat_id = await buyer_says(harness, market, "Где заказ?")
    await harness.press(OWNER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    calls = await harness.send(OWNER, OWNER_KEY)
    leaked = [t for t in partner_texts(market, chat_id) if t and "ACMA:" in t]
    deleted = [c for c in calls if c.method == "deleteMessage"]
    assert not leaked, (
        f"the shop's Market API key was sent to the buyer (deleted from Telegram: {bool(deleted)})"
    )


async def test_an_api_key_pasted_while_a_swipe_reply_was_started_never_reaches_the_buyer(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """A swipe reply was started, then the key pasted: it never reaches the buyer."""
    from tests.conftest import OWNER_KEY

    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "Где заказ?")
    copy = shown_to(harness, OWNER, "Где заказ?")
    await harness.send(OWNER, "/settings", reply_to_message=bot_message(copy["message_id"], OWNER))
    await harness.send(OWNER, OWNER_KEY, reply_to_message=bot_message(copy["message_id"], OWNER))
    assert not [t for t in partner_texts(market, chat_id) if t and "ACMA:" in t], (
        "the API key went to the buyer"
    )


async def test_a_swipe_reply_to_the_reply_prompt_after_the_step_resumed_goes_to_the_buyer(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """Mid-/track, after answering, the courier swipe-replies to the «✍️ Ответ покупателю» prompt: it goes to
    the buyer."""
    chat_id = await courier_of_42(harness, market, db, box, shop)
    card = await harness.send(COURIER, "/track 42")
    await harness.press_button(COURIER, card, "СДЭК")
    await buyer_says(harness, market, "Где вы?")
    await harness.press(COURIER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    prompt = shown_to(harness, COURIER, "✍️ Ответ покупателю")
    await harness.send(COURIER, "Иду")
    calls = await harness.send(
        COURIER, "Позвоните в домофон 12", reply_to_message=bot_message(prompt["message_id"], COURIER)
    )
    assert "Позвоните в домофон 12" in partner_texts(market, chat_id), (
        f"a swipe reply to the chat's own prompt was taken by /track: {texts(calls)}"
    )


async def test_after_the_follow_up_minutes_a_removed_courier_s_order_number_is_not_refused_as_a_chat(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """A courier who answered a buyer is moved to another shop; he types an order number of that shop: its
    card, not a chat refusal."""
    from storage.repositories import MembershipsRepo
    from tests.conftest import OWNER_KEY, seed_shop

    chat_id = await courier_of_42(harness, market, db, box, shop)
    await harness.send(COURIER, "/cancel")
    await harness.press(COURIER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    await harness.send(COURIER, "Подъезжаю")
    market.add_campaign(2002, "second.example")
    market.keys[OWNER_KEY].campaign_ids.add(2002)
    other = await seed_shop(db, box, OWNER, campaign=2002, domain="second.example")
    await MembershipsRepo(db).remove(COURIER, shop)
    await add_courier(db, box, other, COURIER)
    market.add_order(2002, 77, "DELIVERY")
    calls = await harness.send(COURIER, "77")
    assert "Заказ №77" in texts(calls), f"an expired follow-up window refused the number: {texts(calls)}"


async def test_a_message_whose_delivery_read_hits_a_passing_403_is_not_dropped_for_good(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """A delivery read gets a passing 403: the message is shown once the chat's rest is over, not dropped."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = market.add_chat(CAMPAIGN, 42)
    market.buyer_writes(chat_id, "Код домофона 4512")
    harness.telegram.fail("sendMessage", 429, "Too Many Requests: retry after 10")
    await harness.deps.chat_feed.turn(poll_every=True)
    market.fail("getChat", status=403, code="FORBIDDEN", message="Access denied")
    await harness.deps.chat_feed.turn(poll_every=False)
    later = utcnow() + dt.timedelta(minutes=11)  # the shop's rest after a refused read is over
    harness.deps.chat_feed.clock = lambda: later
    for _ in range(3):
        await harness.deps.chat_feed.turn(poll_every=True)
    shown = [c for c in harness.telegram.calls if c.method == "sendMessage" and c.result]
    assert "Код домофона 4512" in texts(shown), "the buyer's message was dropped for good"


async def test_cancel_of_a_reply_step_opened_mid_track_says_not_answering_and_keeps_the_track(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """/cancel at a reply step opened mid-/track says the answer is off, and /track takes the code after
    it."""
    chat_id = await courier_of_42(harness, market, db, box, shop)
    card = await harness.send(COURIER, "/track 42")
    await harness.press_button(COURIER, card, "СДЭК")
    await buyer_says(harness, market, "Где вы?")
    await harness.press(COURIER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    said = texts(await harness.send(COURIER, "/cancel"))
    calls = await harness.send(COURIER, "CDEK-123456")
    assert "CDEK-123456" in texts(calls) and NOT_UNDERSTOOD not in texts(calls), (
        f"/cancel said «{said}» and silently ended the /track underneath too: {texts(calls)}"
    )


async def test_send_all_of_a_bulk_preview_under_an_open_reply_step_keeps_the_reply_step(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    market.add_order(CAMPAIGN, 43, "PROCESSING")
    market.add_order(CAMPAIGN, 44, "PROCESSING")
    preview = await harness.send(OWNER, "43 CDEK-1111111\n44 CDEK-2222222")
    chat_id = await buyer_says(harness, market, "Где заказ?")
    await harness.press(OWNER, ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack())
    await harness.press_button(OWNER, preview, "Отправить")
    calls = await harness.send(OWNER, "Едет, будет сегодня")
    assert "Едет, будет сегодня" in partner_texts(market, chat_id), (
        f"«Отправить все» silently closed the reply step opened after it: {texts(calls)}"
    )
