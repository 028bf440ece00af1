"""End-to-end: `python -m bot` as a user starts it, against fake Telegram and Market servers."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from cryptography.fernet import Fernet
from prometheus_client.parser import text_string_to_metric_families

from storage.db import Database
from storage.secrets import SecretBox
from tests.conftest import seed_shop as seed_shop_in
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import Call, FakeTelegram, find_button

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RunningBot:
    """A `python -m bot` serving /metrics (HTTP_PORT), through which the test knows when the bot is
    done with an update instead of guessing from a quiet spell."""

    telegram: FakeTelegram
    process: asyncio.subprocess.Process
    stderr: str = ""
    metrics_url: str | None = None  # without it (no HTTP_PORT), an exchange ends after a quiet spell
    since: int = 0  # Telegram calls before it started: the later ones are its own
    left_running: set[int] = field(default_factory=set)  # updates pushed with `press`, not waited for

    async def say(self, user_id: int, text: str, *, language: str = "ru") -> list[Call]:
        return await self.exchange(self.telegram.push_message(user_id, text, language=language), user_id)

    async def tap(
        self, user_id: int, calls: list[Call], text_part: str, *, language: str = "ru"
    ) -> list[Call]:
        return await self.exchange(self.press(user_id, calls, text_part, language=language), user_id)

    def press(self, user_id: int, calls: list[Call], text_part: str, *, language: str = "ru") -> int:
        """Press a button and go on at once (its handler may still run at the stop)."""
        data, message_id = find_button(calls, text_part)
        push = self.telegram.push_callback(user_id, data, message_id=message_id, language=language)
        self.left_running.add(push)
        return push

    async def exchange(self, push: int, chat_id: int) -> list[Call]:
        """The bot's replies to `chat_id` once it has handled update `push`."""
        self.left_running.discard(push)
        if self.metrics_url is None:
            return await self.telegram.exchange(push, chat_id=chat_id)

        async def handled() -> bool:
            delivered = self.telegram.delivered(self.since)
            # Every update it took is handled but those left running (which stay so: the test holds
            # them in flight), so this one is.
            return push in delivered and await self.updates_handled() >= len(delivered - self.left_running)

        return await self.telegram.exchange(push, chat_id=chat_id, done=handled)

    async def updates_handled(self) -> int:
        """The updates the bot has handled, as its /metrics count them."""
        assert self.metrics_url is not None
        async with aiohttp.ClientSession() as session, session.get(self.metrics_url) as response:
            text = await response.text()
        return int(
            sum(
                sample.value
                for family in text_string_to_metric_families(text)
                if family.name == "bot_updates"
                for sample in family.samples
                if sample.name == "bot_updates_total"
            )
        )


def free_port() -> int:
    """A port nothing listens on now, for the bot's HTTP_PORT."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def metrics_url(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{env['HTTP_PORT']}/metrics"


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
            HTTP_PORT=str(free_port()),  # /metrics tells when an update is handled
        )
        self.tmp_path = tmp_path
        self.telegram = telegram
        self.running: list[RunningBot] = []

    @property
    def database_path(self) -> Path:
        return Path(self.env["DATABASE_PATH"])

    async def start(self) -> RunningBot:
        polls = len(self.telegram.sent("getUpdates"))
        since = len(self.telegram.calls)
        process = await start_bot(self.env, self.tmp_path)
        running = RunningBot(self.telegram, process, metrics_url=metrics_url(self.env), since=since)
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
