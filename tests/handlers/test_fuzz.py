"""Hostile input: random texts, captions, stickers, edited and forwarded messages, forged callback data.

Whatever arrives, no handler fails, every button press is answered, and nothing is written to the
Market: no request but a read (every request that does reach the fake Market is still checked against
the official spec).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.market_data import DeliveryDateReason, OrderStatus
from bot.market.client import MarketClient
from tests.conftest import OWNER_KEY
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import message, user
from tests.handlers.conftest import OWNER, STRANGER, Harness

COMMANDS = ["/start", "/help", "/track", "/date", "/history", "/shop", "/settings", "/cancel", "/nope"]
PREFIXES = ["cf:send:", "cf:cancel:", "sv:", "svp:", "dd:", "rs:", "cp:", "sh:", ""]

users = st.sampled_from([OWNER, STRANGER])
texts = st.one_of(
    st.text(max_size=120),
    st.builds(lambda c, a: f"{c} {a}".strip(), st.sampled_from(COMMANDS), st.text(max_size=30)),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["42", "#42", "СДЭК", "05.12", "2026-02-30", "\u200b", "\x00", "<b>x</b>", "&amp;", "¡"]),
)
callback_data = st.one_of(
    st.text(max_size=64),
    st.builds(lambda p, s: (p + s)[:64], st.sampled_from(PREFIXES), st.text(max_size=40)),
)


def photo(caption: str) -> dict[str, Any]:
    return {"photo": [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}], "caption": caption}


STICKER = {
    "sticker": {
        "file_id": "s",
        "file_unique_id": "su",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
}


@st.composite
def updates(draw: st.DrawFn) -> tuple[str, int, dict[str, Any]]:
    """(kind, user, payload) for one update."""
    who = draw(users)
    kind = draw(st.sampled_from(["text", "photo", "sticker", "edited", "forwarded", "callback"]))
    if kind == "callback":
        return kind, who, {"data": draw(callback_data)}
    if kind == "photo":
        return kind, who, photo(draw(st.text(max_size=50)))
    if kind == "sticker":
        return kind, who, STICKER
    return kind, who, {"text": draw(texts)}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(updates(), min_size=1, max_size=8))
@pytest.mark.usefixtures("shop")
async def test_hostile_updates_never_break_a_handler_or_write_to_the_market(
    harness: Harness,
    market: FakeMarket,
    caplog: pytest.LogCaptureFixture,
    sequence: list[tuple[str, int, dict[str, Any]]],
) -> None:
    market.add_order(1001, 42)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        for kind, who, payload in sequence:
            if kind == "callback":
                calls = await harness.press(who, payload["data"])
                assert any(c.method == "answerCallbackQuery" for c in calls), payload
            elif kind == "text":
                await harness.send(who, payload["text"])
            elif kind in ("photo", "sticker"):
                await harness.send(who, None, **payload)
            else:
                msg = message(who, payload["text"], 1, "ru")
                if kind == "forwarded":
                    msg["forward_origin"] = {
                        "type": "user",
                        "date": int(time.time()),
                        "sender_user": user(9, "ru"),
                    }
                    await harness.feed({"update_id": 10**6 + len(caplog.records), "message": msg})
                else:
                    msg["edit_date"] = int(time.time())
                    await harness.feed({"update_id": 10**6 + len(caplog.records), "edited_message": msg})
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    assert market.writes() == []


async def test_every_write_the_bot_can_make_counts_as_one(market: FakeMarket, client: MarketClient) -> None:
    """What the fuzz test's `market.writes()` sees: each write route, and none of the reads."""
    market.add_order(1001, 42, "DELIVERY")
    market.request_cancel(1001, 42)
    await client.get_campaigns(OWNER_KEY)
    await client.get_business_orders(OWNER_KEY, 777, order_ids=[42])
    await client.get_token_info(OWNER_KEY)
    assert market.writes() == []
    await client.set_track_code(OWNER_KEY, 1001, 42, track_code="CDEK-1", delivery_service_id=51)
    await client.set_delivery_date(
        OWNER_KEY, 1001, 42, to_date=market.today + dt.timedelta(days=1), reason=DeliveryDateReason.USER_MOVED
    )
    await client.accept_order_cancellation(OWNER_KEY, 1001, 42, accepted=False, reason="ORDER_DELIVERED")
    await client.update_order_status(OWNER_KEY, 1001, 42, status=OrderStatus.DELIVERED)
    assert [w.route for w in market.writes()] == [
        "setOrderDeliveryTrackCode",
        "setOrderDeliveryDate",
        "acceptOrderCancellation",
        "updateOrderStatus",
    ]
