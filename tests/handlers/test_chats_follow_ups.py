"""After an answer, under attack or bad luck: the one-button offer of a line (forged, another user's,
stale, after removal or the owner's switch), what is kept beside conversations, a Market key in any
form never reaching a buyer, and a chat the Market will not read holding back nobody else."""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any

from bot.domain.clock import utcnow
from bot.market.errors import ApiErrorItem, MarketApiError
from bot.telegram.callbacks import ChatCD
from storage.db import Database
from storage.repositories import MembershipsRepo, ShopsRepo
from storage.secrets import SecretBox
from tests.conftest import OWNER_KEY, add_courier, seed_shop
from tests.fakes.market import FakeMarket
from tests.handlers.conftest import CAMPAIGN, COURIER, OWNER, Harness, buttons_of, texts
from tests.handlers.test_chats import buyer_says, shown_to
from tests.handlers.test_chats_on_the_go import courier_of_42, partner_texts

KEY = "ACMA:a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6:0f1e2d3c"
SECRET_PART = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"


def reply_to(shop: int, chat_id: int) -> str:
    return ChatCD(action="reply", shop_id=shop, chat_id=chat_id).pack()


async def answered_42(harness: Harness, market: FakeMarket, shop: int) -> int:
    """The owner answered the buyer of 42 with «↩️ Ответить» (the follow-up minutes run)."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "Где заказ?")
    await harness.press(OWNER, reply_to(shop, chat_id))
    assert "✅" in texts(await harness.send(OWNER, "Едет"))
    return chat_id


async def courier_answered_42(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> int:
    """The courier of 42 answered its buyer with «↩️ Ответить», outside any conversation."""
    chat_id = await courier_of_42(harness, market, db, box, shop)
    await harness.send(COURIER, "/cancel")
    await buyer_says(harness, market, "Где вы?")
    await harness.press(COURIER, reply_to(shop, chat_id))
    assert "✅" in texts(await harness.send(COURIER, "Иду"))
    return chat_id


async def fsm_rows(db: Database) -> str:
    rows = await db.fetch_all("SELECT * FROM fsm")  # the FSM storage's table
    return json.dumps([dict(r) for r in rows], ensure_ascii=False, default=str)


# The key check


async def test_a_key_pasted_after_an_answer_is_not_offered_kept_or_sent(
    harness: Harness, market: FakeMarket, db: Database, shop: int
) -> None:
    """After answering a buyer, the owner pastes his API key as a plain line: deleted, not quoted, not kept in
    the FSM data, never sent."""
    chat_id = await answered_42(harness, market, shop)
    asked = await harness.send(OWNER, KEY)
    problems = []
    if SECRET_PART in await fsm_rows(db):
        problems.append("the key is kept in the FSM data (plain, in SQLite)")
    if SECRET_PART in texts(asked):
        problems.append("the key is quoted back in the offer")
    if any("Отправить покупателю" in b for b in buttons_of(asked)):
        problems.append("the key is offered to the buyer with a button")
        await harness.press_button(OWNER, asked, "Отправить покупателю")
    if any(SECRET_PART in (m or "") for m in partner_texts(market, chat_id)):
        problems.append("the key WENT TO THE BUYER")
    assert not problems, "; ".join(problems) + f"; told: {texts(asked)!r}"


async def test_a_key_split_over_two_lines_at_the_reply_step_does_not_go(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """A key pasted from a note where it wrapped («ACMA:» on one line, the rest on the next) does not go."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "Где заказ?")
    await harness.press(OWNER, reply_to(shop, chat_id))
    await harness.send(OWNER, "ACMA:\n" + KEY.removeprefix("ACMA:"))
    assert not any(SECRET_PART in (m or "") for m in partner_texts(market, chat_id)), (
        "a key split after «ACMA:» went to the buyer"
    )


async def test_a_key_with_a_space_after_the_colon_does_not_go(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "Где заказ?")
    await harness.press(OWNER, reply_to(shop, chat_id))
    await harness.send(OWNER, "ключ: ACMA: " + KEY.removeprefix("ACMA:"))
    assert not any(SECRET_PART in (m or "") for m in partner_texts(market, chat_id)), (
        "«ACMA: <key>» (a space after the colon) went to the buyer"
    )


async def test_a_key_in_a_documents_file_name_does_not_go(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "Где заказ?")
    await harness.press(OWNER, reply_to(shop, chat_id))
    data = b"%PDF-1.4 receipt"
    file_id = harness.telegram.add_file(data)
    document = {
        "file_id": file_id,
        "file_unique_id": "d1",
        "file_name": f"{KEY}.pdf",
        "mime_type": "application/pdf",
        "file_size": len(data),
    }
    await harness.send(OWNER, None, document=document)
    names = [f.name for f in market.chat_files(chat_id)]
    assert not any(SECRET_PART in n for n in names), f"the key went to the buyer as a file name: {names}"


async def test_a_key_in_a_caption_is_not_sent(harness: Harness, market: FakeMarket, shop: int) -> None:
    """A key in a photo's caption: neither the caption nor the photo goes."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_id = await buyer_says(harness, market, "Где заказ?")
    await harness.press(OWNER, reply_to(shop, chat_id))
    data = b"\xff\xd8\xff\xe0jpeg"
    file_id = harness.telegram.add_file(data)
    photo = [{"file_id": file_id, "file_unique_id": "p9", "width": 10, "height": 10, "file_size": len(data)}]
    await harness.send(OWNER, None, photo=photo, caption=f"вот {KEY}")
    assert market.chat_files(chat_id) == []
    assert not any(SECRET_PART in (m or "") for m in partner_texts(market, chat_id))


# The one-button offer


async def test_forged_more_with_another_shop_id_is_refused(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """A pending line; a forged «more» naming another shop of the same owner: not sent."""
    chat_id = await answered_42(harness, market, shop)
    asked = await harness.send(OWNER, "Будет к семи")
    market.add_campaign(2002, "second.example")
    market.keys[OWNER_KEY].campaign_ids.add(2002)
    other = await seed_shop(db, box, OWNER, campaign=2002, domain="second.example")
    # the line's message id is in the real button's data
    data = next(d for d in _button_data(asked) if d.startswith(ChatCD.__prefix__ + ":more"))
    real = ChatCD.unpack(data)
    forged = ChatCD(action="more", shop_id=other, chat_id=real.chat_id, n=real.n).pack()
    await harness.press(OWNER, forged)
    assert partner_texts(market, chat_id) == ["Едет"]


async def test_another_users_pending_line_cannot_be_sent_by_pressing_its_data(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """The courier presses the owner's «more» data: his own FSM data has no such line."""
    await add_courier(db, box, shop, COURIER)
    chat_id = await answered_42(harness, market, shop)
    asked = await harness.send(OWNER, "Будет к семи")
    data = next(d for d in _button_data(asked) if ":more" in d)
    await harness.press(COURIER, data)
    assert partner_texts(market, chat_id) == ["Едет"]


async def test_a_courier_whom_the_owner_switched_off_is_not_offered_to_send_a_line(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """The owner switches couriers' writing off after the courier answered: his next line is not offered to
    the buyer."""
    await courier_answered_42(harness, market, db, box, shop)
    await ShopsRepo(db, box).set_couriers_write(shop, False)
    asked = await harness.send(COURIER, "Буду через 5 минут")
    assert not any("Отправить покупателю" in b for b in buttons_of(asked)), (
        f"offered a send that can only be refused: {texts(asked)!r}"
    )


async def test_a_removed_courier_s_line_in_the_follow_up_minutes_is_just_not_understood(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """Removed from the team right after answering, the courier's «привет» gets the ordinary answer, not a
    chat refusal."""
    await courier_answered_42(harness, market, db, box, shop)
    await MembershipsRepo(db).remove(COURIER, shop)
    calls = await harness.send(COURIER, "привет")
    assert "Отправить покупателю" not in texts(calls)
    assert "чат" not in texts(calls).lower(), f"a removed courier is told about a chat: {texts(calls)!r}"


async def test_a_removed_courier_cannot_send_his_pending_line(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """The line waits for «Отправить»; he is removed; the press is refused."""
    chat_id = await courier_answered_42(harness, market, db, box, shop)
    asked = await harness.send(COURIER, "Буду через 5 минут")
    await MembershipsRepo(db).remove(COURIER, shop)
    before = list(partner_texts(market, chat_id))
    await harness.press_button(COURIER, asked, "Отправить покупателю")
    assert partner_texts(market, chat_id) == before


async def test_an_offer_left_on_screen_does_not_send_its_line_a_day_later(
    harness: Harness, market: FakeMarket, shop: int, monkeypatch: Any
) -> None:
    """An offer not pressed, tapped by mistake the next day: yesterday's line is not sent."""
    import handlers.chats
    import handlers.follow_ups

    chat_id = await answered_42(harness, market, shop)
    asked = await harness.send(OWNER, "Будет к семи")
    tomorrow = utcnow() + dt.timedelta(days=1)
    monkeypatch.setattr(handlers.follow_ups, "utcnow", lambda: tomorrow)
    monkeypatch.setattr(handlers.chats, "utcnow", lambda: tomorrow)
    await harness.press_button(OWNER, asked, "Отправить покупателю")
    assert partner_texts(market, chat_id) == ["Едет"], "a day-old line went to the buyer"


async def test_a_stale_offer_still_sends_to_buyer_a_after_answering_buyer_b(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """Answer A; line L offered to A; B writes and is answered by a swipe; the old «Отправить» on L sends to A
    (the offer names A), never to B."""
    market.add_order(CAMPAIGN, 43, "DELIVERY")
    await answered_42(harness, market, shop)
    asked = await harness.send(OWNER, "Буду через час")
    chat_b = await buyer_says(harness, market, "А мой?", order_id=43)
    copy = shown_to(harness, OWNER, "А мой?")
    from tests.handlers.test_chats import bot_message

    await harness.send(OWNER, "Завтра", reply_to_message=bot_message(copy["message_id"], OWNER))
    await harness.press_button(OWNER, asked, "Отправить покупателю")
    assert "Буду через час" not in partner_texts(market, chat_b)


# The shop's rest after a refused delivery read


def _failing_history(harness: Harness, bad_chat: int, status: int) -> list[int]:
    """getChatHistory of one chat answers `status` for ever (the others read fine)."""
    feed = harness.deps.chat_feed
    market_client: Any = feed._market
    original = market_client.get_chat_history
    calls: list[int] = []

    async def history(api_key: str, business_id: int, chat_id: int, **kw: Any) -> Any:
        if chat_id == bad_chat:
            calls.append(chat_id)
            raise MarketApiError.for_status(status, [ApiErrorItem("BAD_REQUEST", "chat is broken")])
        return await original(api_key, business_id, chat_id, **kw)

    market_client.get_chat_history = history
    return calls


async def test_one_chat_whose_read_is_refused_holds_no_other_buyer_of_the_shop(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """X's message cannot be read (400) from then on; Y of the same shop wrote after: Y is shown."""
    feed = harness.deps.chat_feed
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    market.add_order(CAMPAIGN, 43, "DELIVERY")
    chat_x = market.add_chat(CAMPAIGN, 42)
    market.buyer_writes(chat_x, "сломанный чат")
    await feed.poll_due(every=True)  # recorded, not yet shown (as just before a restart)
    chat_y = market.add_chat(CAMPAIGN, 43)
    market.buyer_writes(chat_y, "Где мой заказ 43?")
    await feed.poll_due(every=True)
    feed._read.clear()
    _failing_history(harness, chat_x, 400)
    for step in range(0, 24):
        at = utcnow() + dt.timedelta(minutes=11 * step)
        feed.clock = functools.partial(_at, at)
        await feed.turn(poll_every=True)
    shown = [c for c in harness.telegram.calls if c.method == "sendMessage" and c.result]
    assert "сломанный чат" not in texts(shown), "(the probe) X was shown before its reads were refused"
    assert "Где мой заказ 43?" in texts(shown), "one refused chat held the shop's other buyers for 4 hours"


async def test_one_chat_whose_read_always_fails_5xx_stops_no_other_shop(
    harness: Harness, market: FakeMarket, db: Database, box: SecretBox, shop: int
) -> None:
    """Chat X of shop A answers 500 for ever: shop B's buyer is still shown."""
    feed = harness.deps.chat_feed
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_x = market.add_chat(CAMPAIGN, 42)
    market.buyer_writes(chat_x, "сломанный чат")
    await feed.poll_due(every=True)  # X recorded, not yet shown (as just before a restart)
    feed._read.clear()
    _failing_history(harness, chat_x, 500)
    market.add_campaign(2002, "second.example")
    market.keys[OWNER_KEY].campaign_ids.add(2002)
    await seed_shop(db, box, OWNER, campaign=2002, domain="second.example")
    market.add_order(2002, 77, "DELIVERY")
    chat_b = market.add_chat(2002, 77)
    market.buyer_writes(chat_b, "Магазин Б: где заказ 77?")
    for step in range(20):
        at = utcnow() + dt.timedelta(minutes=11 * step)
        feed.clock = functools.partial(_at, at)
        await feed.turn(poll_every=True)
    shown = [c for c in harness.telegram.calls if c.method == "sendMessage" and c.result]
    assert "сломанный чат" not in texts(shown), "(the probe) X was shown before its reads failed"
    recorded = await db.fetch_all("SELECT shop_id, sent FROM chat_deliveries")
    assert len(recorded) == 2, f"(the probe) B's message not recorded: {[dict(r) for r in recorded]}"
    assert "где заказ 77?" in texts(shown), "a chat of shop A failing 5xx stalls shop B's buyers for ever"


async def test_one_chat_whose_history_is_refused_does_not_stop_the_business_poll(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """X's history is refused for ever at the poll: the business's other waiting chats are still read."""
    feed = harness.deps.chat_feed
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    market.add_order(CAMPAIGN, 43, "DELIVERY")
    chat_x = market.add_chat(CAMPAIGN, 42)
    market.buyer_writes(chat_x, "сломанный чат")
    _failing_history(harness, chat_x, 400)
    chat_y = market.add_chat(CAMPAIGN, 43)
    market.buyer_writes(chat_y, "Где мой заказ 43?")
    for step in range(10):
        at = utcnow() + dt.timedelta(minutes=11 * step)
        feed.clock = functools.partial(_at, at)
        await feed.turn(poll_every=True)
    shown = [c for c in harness.telegram.calls if c.method == "sendMessage" and c.result]
    assert "Где мой заказ 43?" in texts(shown), "one refused chat stops the whole business's poll"


def _button_data(calls: list[Any]) -> list[str]:
    out = []
    for c in calls:
        markup = c.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        for row in (markup or {}).get("inline_keyboard", []):
            out += [b.get("callback_data", "") for b in row]
    return out


def _at(moment: dt.datetime) -> dt.datetime:
    return moment
