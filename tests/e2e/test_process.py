"""`python -m bot` itself, as a user starts it against fake Telegram and Market servers: settings errors,
a first start (generated secret key, command menu), one whole happy path through the polling loop, a
clean stop on SIGTERM, no secrets in logs.

The other whole conversations run in process (tests/handlers/test_whole_flows.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import time
from pathlib import Path

from cryptography.fernet import Fernet

from bot.domain.clock import moscow_today
from storage.db import Database
from storage.secrets import SecretBox
from tests.conftest import OWNER_KEY, seed_shop
from tests.e2e.conftest import (
    RunningBot,
    assert_ends_with_its_last_log_line,
    bot_env,
    free_port,
    metrics_url,
    start_bot,
)
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import Call, FakeTelegram

OWNER = 701


def said(calls: list[Call]) -> str:
    return "\n".join(str(c.params.get("text", "")) for c in calls if "text" in c.params)


async def test_without_token_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    proc = await start_bot(bot_env(tmp_path), cwd=tmp_path)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 2
    assert err.decode().strip() == "Configuration error: BOT_TOKEN is required but not set"
    assert "Traceback" not in (out + err).decode()


async def happy_path(bot: RunningBot, market: FakeMarket) -> None:
    """Onboarding, a track code and a date, as an owner does them."""
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

    # Date: order → past date refused → typed date → reason → confirm.
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

    reads = ("getAuthTokenInfo", "getBusinessOrders")  # POSTs that only read
    writes = [c for c in market.received if c.method in ("POST", "PUT") and c.route not in reads]
    assert [(c.route, c.body) for c in writes] == [
        ("setOrderDeliveryTrackCode", {"trackCode": "CDEK-777", "deliveryServiceId": 51}),
        (
            "setOrderDeliveryDate",
            {"dates": {"toDate": day.isoformat()}, "reason": "PARTNER_MOVED_DELIVERY_DATES"},
        ),
    ]
    assert all(c.api_key == OWNER_KEY for c in market.received)
    assert market.calls("getOrder") == market.calls("getOrders") == [], (
        "orders are read with getBusinessOrders"
    )


async def test_first_start_then_a_whole_happy_path_then_sigterm_within_10s(
    tmp_path: Path, telegram: FakeTelegram, market: FakeMarket
) -> None:
    env = bot_env(
        tmp_path,
        BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram.url,
        MARKET_API_URL=market.url,
        HTTP_PORT=str(free_port()),
    )
    telegram.webhook_url = "https://bot.example/tg/hook"  # left from webhook mode
    proc = await start_bot(env, cwd=tmp_path)
    await telegram.wait_for("getUpdates", timeout=60)
    bot = RunningBot(telegram, proc, metrics_url=metrics_url(env))

    methods = [c.method for c in telegram.calls]
    assert methods[0] == "getMe" and methods.count("getMe") == 1, "start-up asks Telegram once, first"
    assert "deleteWebhook" in methods and methods.index("deleteWebhook") < methods.index("getUpdates"), (
        "a webhook left from webhook mode is removed before polling"
    )
    commands = telegram.sent("setMyCommands")
    assert {c.get("language_code") for c in commands} == {None, "en"}
    ru = next(c for c in commands if c.get("language_code") is None)
    assert [c["command"] for c in ru["commands"]] == ["settings", "help", "cancel"], "no shop yet"
    assert {c.get("language_code") for c in telegram.sent("setMyDescription")} == {None, "en"}
    assert len(telegram.sent("setMyShortDescription")) == 2
    reply = await bot.say(601, "/start", language="en")
    assert "Yandex Market" in reply[0].params["text"]

    await happy_path(bot, market)
    [owner_menu] = [
        c for c in telegram.sent("setMyCommands") if "scope" in c and "chat_id" in str(c["scope"])
    ]
    assert {"track", "team", "settings", "alerts"} <= {c["command"] for c in owner_menu["commands"]}, (
        "connecting a shop gives the owner's menu in their chat"
    )

    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=20)
    assert time.monotonic() - started < 10
    assert proc.returncode == 0
    log = err.decode()
    assert "Traceback" not in log
    assert_ends_with_its_last_log_line(log)
    key_file = tmp_path / "data" / "secret.key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert "generated a new key" in log
    assert key_file.read_text().strip() not in log
    assert "market_call method=GET path=/v2/campaigns status=200" in log
    assert OWNER_KEY not in log and "owner-key" not in log and telegram.token not in log


async def test_a_secret_key_that_cannot_read_the_stored_keys_stops_the_start(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "data" / "bot.sqlite3")
    try:
        await seed_shop(db, SecretBox(Fernet.generate_key()), OWNER)
    finally:
        await db.close()
    env = bot_env(tmp_path, BOT_TOKEN="123456:" + "A" * 35, SECRET_KEY=Fernet.generate_key().decode())
    proc = await start_bot(env, cwd=tmp_path)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 2
    [line] = err.decode().strip().splitlines()
    assert line.startswith("Configuration error: SECRET_KEY cannot decrypt") and "Traceback" not in line
