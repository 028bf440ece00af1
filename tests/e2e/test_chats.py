"""Buyers' chats in a real process: the chats' loop runs from the start (no push notification set
up), a buyer's message reaches the owner, and a Telegram reply to it reaches the buyer's chat — the
wiring `python -m bot` builds, end to end. (Everything else about chats runs in process:
tests/handlers/test_chats*.py, tests/services/test_chat_feed.py.)"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.e2e.conftest import Launcher, seed_shop
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import BOT_ID

OWNER = 902


def shown(launcher: Launcher, part: str) -> list[dict[str, Any]]:
    return [
        {**c.params, "message_id": c.result["message_id"]}
        for c in launcher.telegram.calls
        if c.method == "sendMessage"
        and c.params.get("chat_id") == OWNER
        and part in str(c.params.get("text"))
    ]


async def test_a_buyers_message_reaches_the_owner_and_a_reply_reaches_the_buyer(
    launcher: Launcher, market: FakeMarket
) -> None:
    await seed_shop(launcher, OWNER)
    market.add_order(1001, 42, "DELIVERY")
    chat_id = market.add_chat(1001, 42)
    market.buyer_writes(chat_id, "Можно после 18:00?")
    bot = await launcher.start()
    async with asyncio.timeout(30):
        while not shown(launcher, "Можно после 18:00?"):
            await asyncio.sleep(0.05)
    [header] = shown(launcher, "Можно после 18:00?")
    assert "Заказ №42" in header["text"] and "Покупатель Анна" in header["text"]

    quoted = {
        "message_id": header["message_id"],
        "date": 0,
        "chat": {"id": OWNER, "type": "private", "first_name": "Tester"},
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "DBS helper"},
        "text": "…",
    }
    push = launcher.telegram.push_message(OWNER, "Да, привезём к 19:00", reply_to_message=quoted)
    replies = await bot.exchange(push, OWNER)
    assert "✅ Сообщение отправлено покупателю заказа №42" in " ".join(
        str(c.params.get("text")) for c in replies
    )
    assert [m["message"] for m in market.chat_messages(chat_id) if m["sender"] == "PARTNER"] == [
        "Да, привезём к 19:00"
    ]
    assert not market.spec_errors
    await launcher.stop(bot)
