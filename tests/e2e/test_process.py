"""`python -m bot` as a user starts it: settings errors, polling against fake servers, SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.market import FakeMarket
from tests.fakes.telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]


def bot_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "SECRET_KEY"}}
    env.update({"DATABASE_PATH": str(tmp_path / "data" / "bot.sqlite3"), "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


async def run_bot(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_without_token_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    proc = await run_bot(bot_env(tmp_path), cwd=tmp_path)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 2
    assert err.decode().strip() == "Configuration error: BOT_TOKEN is required but not set"
    assert "Traceback" not in (out + err).decode()


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


async def test_polls_answers_and_stops_on_sigterm(
    tmp_path: Path, telegram: FakeTelegram, market: FakeMarket
) -> None:
    env = bot_env(
        tmp_path,
        BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram.url,
        MARKET_API_URL=market.url,
    )
    proc = await run_bot(env, cwd=tmp_path)
    try:
        await telegram.wait_for("getUpdates", timeout=30)
        telegram.push_message(501, "/start", language="en")
        await telegram.wait_for("sendMessage", timeout=10)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=15)
    assert proc.returncode == 0, err.decode()
    [reply] = telegram.sent("sendMessage", chat_id=501)
    assert "Yandex Market" in reply["text"]
    key_file = tmp_path / "data" / "secret.key"
    assert key_file.exists(), "a secret key is generated on first start"
    assert key_file.read_text().strip() not in err.decode()
    assert telegram.token not in err.decode()
