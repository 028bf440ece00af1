"""A chat that fails for ever, a buyer who wrote between an answer and the next line, a key in every
form a phone can paste it, two quick taps on the offer."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools

import pytest

from bot.domain.clock import utcnow
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import find_button
from tests.handlers.conftest import CAMPAIGN, OWNER, Harness, buttons_of, texts
from tests.handlers.test_chats import buyer_says
from tests.handlers.test_chats_follow_ups import _at, _failing_history
from tests.handlers.test_chats_on_the_go import partner_texts
from tests.handlers.test_chats_several_buyers import swipe

# The delivery: one chat failing 5xx for ever


async def test_one_chat_failing_5xx_for_ever_holds_no_other_buyer_of_its_shop(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """X's read answers 500 for ever; Y of the same shop wrote after: Y is shown."""
    feed = harness.deps.chat_feed
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    market.add_order(CAMPAIGN, 43, "DELIVERY")
    chat_x = market.add_chat(CAMPAIGN, 42)
    market.buyer_writes(chat_x, "сломанный чат")
    await feed.poll_due(every=True)
    chat_y = market.add_chat(CAMPAIGN, 43)
    market.buyer_writes(chat_y, "Где мой заказ 43?")
    await feed.poll_due(every=True)
    feed._read.clear()
    _failing_history(harness, chat_x, 500)
    for step in range(24):
        feed.clock = functools.partial(_at, utcnow() + dt.timedelta(minutes=11 * step))
        await feed.turn(poll_every=True)
    shown = [c for c in harness.telegram.calls if c.method == "sendMessage" and c.result]
    assert "сломанный чат" not in texts(shown), "(the probe) X was shown"
    assert "Где мой заказ 43?" in texts(shown), "one chat failing 500 held its shop's other buyers 4 hours"


async def test_a_chat_refused_for_ever_is_told_to_open_in_the_cabinet(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """X's read is refused (400) from then on: it is read again after each rest, and after about an hour the
    owner is told once that the buyer wrote and to open the chat in the cabinet."""
    feed = harness.deps.chat_feed
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_x = market.add_chat(CAMPAIGN, 42)
    market.buyer_writes(chat_x, "Позвоните мне срочно")
    await feed.poll_due(every=True)
    feed._read.clear()
    calls = _failing_history(harness, chat_x, 400)
    before = len([c for c in harness.telegram.calls if c.method == "sendMessage"])
    for step in range(36):  # 6 hours and more
        feed.clock = functools.partial(_at, utcnow() + dt.timedelta(minutes=11 * step))
        await feed.turn(poll_every=True)
    told = [str(c.params["text"]) for c in harness.telegram.calls if c.method == "sendMessage"][before:]
    assert [t for t in told if "№42" in t and "кабинете" in t] == [told[0]], f"told once: {told}"
    assert len(calls) <= 8, f"{len(calls)} refused reads: given up after about an hour"


# The offer: another buyer wrote since, then the first again


async def test_a_line_after_b_then_a_wrote_is_not_offered_to_a(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """Owner answers №42; buyer №43 writes, then №42 adds «Спасибо»; the owner types an answer meant for №43:
    it is not offered to №42."""
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    market.add_order(CAMPAIGN, 43, "DELIVERY")
    await buyer_says(harness, market, "Где заказ?", order_id=42)
    await harness.send(OWNER, "Едет", **swipe(harness, OWNER, "Где заказ?"))
    await buyer_says(harness, market, "А мой когда?", order_id=43)
    await buyer_says(harness, market, "Спасибо", order_id=42)
    calls = await harness.send(OWNER, "Ваш будет завтра")
    assert "Отправить покупателю" not in " ".join(buttons_of(calls)), (
        f"№43 wrote since the answer to №42, yet one tap sends to №42: {texts(calls)!r}"
    )


# The key check: forms a pasted key takes

SECRET = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"


@pytest.mark.parametrize(
    "pasted",
    [
        pytest.param(f"ACMA:a1b2\n{SECRET[4:]}:0f1e2d3c", id="wrapped_inside_the_token"),
        pytest.param(f"ACMA\u200b:{SECRET}:0f1e2d3c", id="zero_width_space"),
        pytest.param(f"ACMA\uff1a{SECRET}:0f1e2d3c", id="fullwidth_colon"),
        pytest.param(f"\u0410\u0421\u041c\u0410:{SECRET}:0f1e2d3c", id="cyrillic_letters"),
        pytest.param(f"ACMA%3A{SECRET}%3A0f1e2d3c", id="url_encoded"),
        pytest.param("ACMA: a1b2 c3d4 e5f6 a7b8 c9d0 e1f2 a3b4 c5d6:0f1e2d3c", id="grouped_by_4"),
    ],
)
async def test_a_key_swiped_to_a_buyer_in_another_form_does_not_go(
    harness: Harness, market: FakeMarket, shop: int, pasted: str
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_a = await buyer_says(harness, market, "Где заказ?")
    await harness.send(OWNER, pasted, **swipe(harness, OWNER, "Где заказ?"))
    went = [t for t in partner_texts(market, chat_a) if t and SECRET[8:24] in t.replace(" ", "")]
    assert not went, f"the key went to the buyer: {went!r}"


async def test_a_key_without_its_acma_prefix_swiped_to_a_buyer_does_not_go(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    """On a phone the colons cut a key when it is copied: the secret part without «ACMA:», swiped to a buyer,
    does not go."""
    from tests.conftest import OWNER_KEY

    secret = OWNER_KEY.split(":", 1)[1]  # what follows the constant «ACMA:»
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_a = await buyer_says(harness, market, "Где заказ?")
    await harness.send(OWNER, secret, **swipe(harness, OWNER, "Где заказ?"))
    went = [t for t in partner_texts(market, chat_a) if t and secret in t]
    assert not went, f"the shop's key (without its constant prefix) went to the buyer: {went!r}"


async def test_two_quick_taps_on_the_offer_send_the_line_once(
    harness: Harness, market: FakeMarket, shop: int
) -> None:
    market.add_order(CAMPAIGN, 42, "DELIVERY")
    chat_a = await buyer_says(harness, market, "Где заказ?")
    await harness.send(OWNER, "Едет", **swipe(harness, OWNER, "Где заказ?"))
    asked = await harness.send(OWNER, "Будет к семи")
    data, mid = find_button(asked, "Отправить покупателю")
    await asyncio.gather(
        harness.press(OWNER, data, message_id=mid), harness.press(OWNER, data, message_id=mid)
    )
    assert partner_texts(market, chat_a).count("Будет к семи") == 1, partner_texts(market, chat_a)
