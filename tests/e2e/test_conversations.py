"""Whole conversations through the real polling loop: what users saw and what reached the Market."""

from __future__ import annotations

import datetime as dt

from bot.domain.clock import moscow_today
from tests.conftest import OWNER_KEY
from tests.e2e.conftest import RunningBot
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import Call, keyboard

OWNER = 701


def said(calls: list[Call]) -> str:
    return "\n".join(str(c.params.get("text", "")) for c in calls if "text" in c.params)


async def test_owner_onboards_sends_a_track_code_and_moves_a_date(
    running_bot: RunningBot, market: FakeMarket
) -> None:
    bot = running_bot
    market.add_order(1001, 42, "PROCESSING", items=[("Чайник", 1)])
    market.add_order(1001, 43, "DELIVERY")

    # Onboarding: no shop yet, then /settings with the key.
    assert said(await bot.say(OWNER, "/track 42")).startswith("⛔")
    await bot.say(OWNER, "/settings")
    campaigns = await bot.say(OWNER, OWNER_KEY)
    assert any(c.method == "deleteMessage" for c in campaigns)
    connected = await bot.tap(OWNER, campaigns, "dbs-shop.example")
    assert "✅" in said(connected)

    # Track: order → service → code → confirm.
    card = await bot.say(OWNER, "/track")
    card = await bot.say(OWNER, "42")
    assert "Заказ №42" in said(card) and "Чайник" in said(card)
    asked = await bot.tap(OWNER, card, "СДЭК")
    assert "трек-номер" in said(asked)
    bad = await bot.say(OWNER, "X" * 65)
    assert "не больше 64" in said(bad)
    confirm = await bot.say(OWNER, "CDEK-777")
    done = await bot.tap(OWNER, confirm, "Отправить")
    assert "✅" in said(done) and "42" in said(done)
    await bot.tap(OWNER, confirm, "Отправить")  # a double tap

    # Date: order → past date refused → quick button → reason → confirm.
    await bot.say(OWNER, "/date 43")
    past = await bot.say(OWNER, (moscow_today() - dt.timedelta(days=3)).isoformat())
    assert "уже прошла" in said(past)
    day = moscow_today() + dt.timedelta(days=2)
    reasons = await bot.say(OWNER, f"{day:%d.%m.%Y}")
    confirm = await bot.tap(OWNER, reasons, "магазин")
    done = await bot.tap(OWNER, confirm, "Отправить")
    assert "✅" in said(done) and "43" in said(done)

    history = said(await bot.say(OWNER, "/history"))
    assert "CDEK-777" in history and "№43" in history

    writes = [c for c in market.received if c.method in ("POST", "PUT") and c.route != "getAuthTokenInfo"]
    assert [(c.route, c.body) for c in writes] == [
        ("setOrderDeliveryTrackCode", {"trackCode": "CDEK-777", "deliveryServiceId": 51}),
        (
            "setOrderDeliveryDate",
            {"dates": {"toDate": day.isoformat()}, "reason": "PARTNER_MOVED_DELIVERY_DATES"},
        ),
    ]
    assert all(c.api_key == OWNER_KEY for c in market.received)


async def test_errors_cancel_and_english(running_bot: RunningBot, market: FakeMarket) -> None:
    bot = running_bot
    market.add_order(1001, 50, "CANCELLED")
    market.add_order(1001, 51, "PROCESSING")
    await bot.say(OWNER, "/settings", language="en")
    await bot.tap(OWNER, await bot.say(OWNER, OWNER_KEY, language="en"), "dbs-shop.example", language="en")

    stopped = said(await bot.say(OWNER, "/track 50", language="en"))
    assert "⛔" in stopped and "cancelled" in stopped
    missing = said(await bot.say(OWNER, "/date 999", language="en"))
    assert "❌" in missing and "not found" in missing

    for status, code, message in [
        (401, "UNAUTHORIZED", "Api-Key token is invalid"),
        (403, "FORBIDDEN", "Access denied"),
        (400, "BAD_REQUEST", "Track code is invalid"),
    ]:
        await bot.say(OWNER, "/track 51", language="en")
        await bot.say(OWNER, "Boxberry", language="en")
        confirm = await bot.say(OWNER, f"BB-{status}", language="en")
        assert any("Send" in text for c in confirm for text, _ in keyboard(c.params))
        market.fail("setOrderDeliveryTrackCode", status=status, code=code, message=message)
        result = said(await bot.tap(OWNER, confirm, "Send", language="en"))
        assert "❌" in result and message in result and code in result, result

    # A 500 is not final: the user is told it is queued, then gets the result from the worker.
    await bot.say(OWNER, "/track 51", language="en")
    await bot.say(OWNER, "Boxberry", language="en")
    confirm = await bot.say(OWNER, "BB-500", language="en")
    market.fail("setOrderDeliveryTrackCode", status=500)
    queued = said(await bot.tap(OWNER, confirm, "Send", language="en"))
    assert "⏳" in queued and "51" in queued
    final = await bot.telegram.wait_for("sendMessage", count=len(bot.telegram.sent("sendMessage")) + 1)
    assert "✅" in final[-1].params["text"] and "BB-500" in final[-1].params["text"]

    await bot.say(OWNER, "/date 51", language="en")
    assert "Cancelled" in said(await bot.say(OWNER, "/cancel", language="en"))
    assert "did not understand" in said(await bot.say(OWNER, "2026-12-01", language="en"))
    assert market.calls("setOrderDeliveryDate") == []
    assert [c.status for c in market.calls("setOrderDeliveryTrackCode")] == [401, 403, 400, 500, 200]
