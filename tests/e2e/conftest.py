"""End-to-end: `python -m bot` as a user starts it, against fake Telegram and Market servers."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.market import FakeMarket
from tests.fakes.telegram import Call, FakeTelegram, find_button

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RunningBot:
    telegram: FakeTelegram
    process: asyncio.subprocess.Process
    stderr: str = ""

    async def say(self, user_id: int, text: str, *, language: str = "ru") -> list[Call]:
        return await self.telegram.exchange(self.telegram.push_message(user_id, text, language=language))

    async def tap(
        self, user_id: int, calls: list[Call], text_part: str, *, language: str = "ru"
    ) -> list[Call]:
        data, message_id = find_button(calls, text_part)
        push = self.telegram.push_callback(user_id, data, message_id=message_id, language=language)
        return await self.telegram.exchange(push)


def bot_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "SECRET_KEY", "TELEGRAM_API_URL"}}
    env.update(
        {
            "DATABASE_PATH": str(tmp_path / "data" / "bot.sqlite3"),
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(ROOT),
            "FLOOD_LIMIT": "10000",  # the test driver types faster than people do
            "RETRY_BASE_SECONDS": "0.2",
            "RETRY_MAX_SECONDS": "1",
            "MARKET_TIMEOUT_SECONDS": "2",
        }
    )
    env.update(extra)
    return env


async def start_bot(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def running_bot(
    tmp_path: Path, telegram: FakeTelegram, market: FakeMarket
) -> AsyncIterator[RunningBot]:
    env = bot_env(
        tmp_path, BOT_TOKEN=telegram.token, TELEGRAM_API_URL=telegram.url, MARKET_API_URL=market.url
    )
    process = await start_bot(env, tmp_path)
    running = RunningBot(telegram, process)
    try:
        await telegram.wait_for("getUpdates", timeout=60)
        yield running
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), timeout=20)
        running.stderr = err.decode()
    assert process.returncode == 0, running.stderr
    assert "Traceback" not in running.stderr, running.stderr
