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
from cryptography.fernet import Fernet

from storage.db import Database
from storage.secrets import SecretBox
from tests.conftest import seed_shop as seed_shop_in
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import Call, FakeTelegram, find_button

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RunningBot:
    telegram: FakeTelegram
    process: asyncio.subprocess.Process
    stderr: str = ""

    async def say(self, user_id: int, text: str, *, language: str = "ru") -> list[Call]:
        push = self.telegram.push_message(user_id, text, language=language)
        return await self.telegram.exchange(push, chat_id=user_id)

    async def tap(
        self, user_id: int, calls: list[Call], text_part: str, *, language: str = "ru"
    ) -> list[Call]:
        data, message_id = find_button(calls, text_part)
        push = self.telegram.push_callback(user_id, data, message_id=message_id, language=language)
        return await self.telegram.exchange(push, chat_id=user_id)


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
            "SHUTDOWN_GRACE_SECONDS": "1",  # what is cut short is what these tests look at
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


class Launcher:
    """Starts `python -m bot` on one data folder; can stop it and start it again (a restart)."""

    def __init__(self, tmp_path: Path, telegram: FakeTelegram, market: FakeMarket) -> None:
        self.secret_key = Fernet.generate_key().decode()
        self.env = bot_env(
            tmp_path,
            BOT_TOKEN=telegram.token,
            TELEGRAM_API_URL=telegram.url,
            MARKET_API_URL=market.url,
            SECRET_KEY=self.secret_key,
        )
        self.tmp_path = tmp_path
        self.telegram = telegram
        self.running: list[RunningBot] = []

    @property
    def database_path(self) -> Path:
        return Path(self.env["DATABASE_PATH"])

    async def start(self) -> RunningBot:
        polls = len(self.telegram.sent("getUpdates"))
        process = await start_bot(self.env, self.tmp_path)
        running = RunningBot(self.telegram, process)
        self.running.append(running)
        await self.telegram.wait_for("getUpdates", count=polls + 1, timeout=60)
        return running

    async def stop(self, running: RunningBot) -> str:
        """SIGTERM, as a supervisor stops it; returns what it logged. It must exit 0 within 10 s."""
        if running.process.returncode is None:
            running.process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(running.process.communicate(), timeout=10)
        running.stderr = err.decode()
        assert running.process.returncode == 0, running.stderr
        assert "Traceback" not in running.stderr, running.stderr
        assert_ends_with_its_last_log_line(running.stderr)
        return running.stderr


def assert_ends_with_its_last_log_line(stderr: str) -> None:
    """Nothing is printed after the bot's own "stopped" (such as a native library's report at exit)."""
    last = stderr.rstrip("\n").rsplit("\n", 1)[-1]
    assert last.endswith(" INFO bot stopped"), stderr[-2000:]


@pytest.fixture
async def launcher(tmp_path: Path, telegram: FakeTelegram, market: FakeMarket) -> AsyncIterator[Launcher]:
    launched = Launcher(tmp_path, telegram, market)
    try:
        yield launched
    finally:
        for running in launched.running:
            if running.process.returncode is None:
                await launched.stop(running)


async def seed_shop(
    launcher: Launcher, owner: int, couriers: list[int] | None = None, campaign: int = 1001
) -> None:
    """A shop connected by `owner` (with OWNER_KEY), and couriers who have it as their active shop."""
    db = await Database.open(launcher.database_path)
    try:
        box = SecretBox(launcher.secret_key.encode())
        await seed_shop_in(db, box, owner, campaign=campaign, couriers=tuple(couriers or ()))
    finally:
        await db.close()
