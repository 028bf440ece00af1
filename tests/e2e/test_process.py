"""`python -m bot` itself: settings errors, command menu, clean stop on SIGTERM, no secrets in logs."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from tests.conftest import OWNER_KEY
from tests.e2e.conftest import RunningBot, bot_env, start_bot
from tests.fakes.telegram import FakeTelegram


async def test_generated_secret_key_is_kept_and_never_logged(tmp_path: Path, telegram: FakeTelegram) -> None:
    env = bot_env(tmp_path, BOT_TOKEN=telegram.token, TELEGRAM_API_URL=telegram.url)
    proc = await start_bot(env, cwd=tmp_path)
    await telegram.wait_for("getUpdates", timeout=60)
    proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=10)
    key_file = tmp_path / "data" / "secret.key"
    assert proc.returncode == 0
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert "generated a new key" in err.decode()
    assert key_file.read_text().strip() not in err.decode()


async def test_without_token_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    proc = await start_bot(bot_env(tmp_path), cwd=tmp_path)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 2
    assert err.decode().strip() == "Configuration error: BOT_TOKEN is required but not set"
    assert "Traceback" not in (out + err).decode()


async def test_menu_in_both_languages_and_stop_within_10s(
    running_bot: RunningBot, telegram: FakeTelegram
) -> None:
    commands = telegram.sent("setMyCommands")
    assert {c.get("language_code") for c in commands} == {None, "en"}
    ru = next(c for c in commands if c.get("language_code") is None)
    assert {"track", "date", "settings", "cancel", "help"} <= {c["command"] for c in ru["commands"]}

    reply = await running_bot.say(601, "/start", language="en")
    assert "Yandex Market" in reply[0].params["text"]
    await running_bot.say(601, "/settings")
    await running_bot.say(601, OWNER_KEY)

    started = time.monotonic()
    running_bot.process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(running_bot.process.communicate(), timeout=20)
    assert time.monotonic() - started < 10
    assert running_bot.process.returncode == 0
    log = err.decode()
    assert "market_call method=GET path=/v2/campaigns status=200" in log
    assert OWNER_KEY not in log and "owner-key" not in log and telegram.token not in log
    assert running_bot.process.returncode == 0
