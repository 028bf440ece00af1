"""Team access end to end: onboarding, invite, a courier's track code on the owner's key, removal."""

from __future__ import annotations

import re

from tests.conftest import OWNER_KEY
from tests.e2e.conftest import RunningBot
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import BOT_USERNAME, Call

OWNER, COURIER, OTHER = 1101, 1102, 1103


def said(calls: list[Call]) -> str:
    return "\n".join(str(c.params.get("text", "")) for c in calls if "text" in c.params)


async def test_invite_join_track_reuse_and_removal(running_bot: RunningBot, market: FakeMarket) -> None:
    bot = running_bot
    market.add_order(1001, 42)

    await bot.say(OWNER, "/settings")
    await bot.tap(OWNER, await bot.say(OWNER, OWNER_KEY), "dbs-shop.example")
    team = await bot.say(OWNER, "/team")
    invite = said(await bot.tap(OWNER, team, "Пригласить"))
    match = re.search(rf"https://t\.me/{BOT_USERNAME}\?start=([A-Za-z0-9_-]+)", invite)
    assert match, invite

    joined = said(await bot.say(COURIER, f"/start {match.group(1)}"))
    assert "✅" in joined and "курьер" in joined
    reused = said(await bot.say(OTHER, f"/start {match.group(1)}"))
    assert reused.startswith("⛔")

    await bot.say(COURIER, "/track 42")
    await bot.say(COURIER, "СДЭК")
    confirm = await bot.say(COURIER, "FROM-COURIER")
    assert "✅" in said(await bot.tap(COURIER, confirm, "Отправить"))
    [write] = market.calls("setOrderDeliveryTrackCode")
    assert write.api_key == OWNER_KEY and write.body["trackCode"] == "FROM-COURIER"

    await bot.say(COURIER, "/track 42")
    await bot.say(COURIER, "СДЭК")
    stale = await bot.say(COURIER, "AFTER-REMOVAL")
    team = await bot.say(OWNER, "/team")
    ask = await bot.tap(OWNER, team, "Удалить")
    assert "больше не в команде" in said(await bot.tap(OWNER, ask, "Да"))
    assert said(await bot.tap(COURIER, stale, "Отправить")).startswith("⛔")
    assert said(await bot.say(COURIER, "/date 42")).startswith("⛔")
    assert len(market.calls("setOrderDeliveryTrackCode")) == 1
