"""Handler tests: real updates through the real dispatcher; the bot talks to a fake Telegram server,
the client to the fake Market."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bot.app import Deps, build_deps, build_worker, create_dispatcher, install_session_middlewares
from bot.domain.retry import RetryPolicy
from bot.market.client import MarketClient
from bot.services.worker import RetryWorker
from bot.telegram.middlewares import FloodControl
from storage.db import Database
from storage.fsm import SQLiteStorage
from storage.secrets import SecretBox
from tests.conftest import seed_shop
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import (
    Call,
    FakeTelegram,
    bot_for,
    callback_query,
    close,
    find_button,
    keyboard,
    message,
)

OWNER = 501
COURIER = 502
STRANGER = 503
CAMPAIGN = 1001


class Harness:
    """Sends a user's updates to the dispatcher and shows what the bot did in reply."""

    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        telegram: FakeTelegram,
        db: Database,
        box: SecretBox,
        worker: RetryWorker,
        deps: Deps,
    ) -> None:
        self.box = box
        self.worker = worker
        self.deps = deps
        self.dp = dp
        self.bot = bot
        self.telegram = telegram
        self.db = db
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(10_000)

    async def feed(self, update: dict[str, Any]) -> list[Call]:
        """Feed one raw update (for redelivery tests: the same update twice)."""
        return await self._feed(update)

    def callback_update(self, user_id: int, data: str) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "callback_query": callback_query(user_id, data, message_id=1, language="ru"),
        }

    async def wait_sent(self, text_part: str, timeout: float = 10.0, *, since: int = 0) -> str:
        """Wait for a message (e.g. from the retry worker) containing `text_part`, among the messages
        sent after the first `since`."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for params in self.telegram.sent("sendMessage")[since:]:
                if text_part in str(params.get("text", "")):
                    return str(params["text"])
            await asyncio.sleep(0.02)
        raise AssertionError(f"no message with {text_part!r}: {self.telegram.sent('sendMessage')}")

    async def wait_shown(self, text_part: str, timeout: float = 10.0) -> str:
        """Wait for a message or an edit of one (a progress message becoming a report) with `text_part`."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for call in self.telegram.calls:
                shown = str(call.params.get("text", ""))
                if call.method in ("sendMessage", "editMessageText") and text_part in shown:
                    return shown
            await asyncio.sleep(0.02)
        raise AssertionError(f"nothing shown with {text_part!r}: {texts(self.telegram.calls)}")

    async def _feed(self, update: dict[str, Any]) -> list[Call]:
        before = len(self.telegram.calls)
        await self.dp.feed_update(self.bot, Update.model_validate(update, context={"bot": self.bot}))
        calls = self.telegram.calls[before:]
        if "callback_query" in update:  # every press, in every test: its spinner stops exactly once
            query = update["callback_query"]
            assert answers_to(calls, query["id"]) == 1, f"{query['data']!r} answered: {calls}"
        return calls

    async def send(self, user_id: int, text: str | None, *, language: str = "ru", **extra: Any) -> list[Call]:
        msg = message(user_id, text, next(self._message_ids), language, **extra)
        return await self._feed({"update_id": next(self._update_ids), "message": msg})

    async def press(
        self, user_id: int, data: str, *, language: str = "ru", message_id: int = 1
    ) -> list[Call]:
        query = callback_query(user_id, data, message_id=message_id, language=language)
        return await self._feed({"update_id": next(self._update_ids), "callback_query": query})

    async def press_button(self, user_id: int, calls: list[Call], text_part: str, **kw: Any) -> list[Call]:
        """Press the newest button in `calls` whose text contains `text_part`."""
        data, message_id = find_button(calls, text_part)
        return await self.press(user_id, data, **{"message_id": message_id, **kw})


def answers_to(calls: list[Call], query_id: str) -> int:
    """How many times the press `query_id` was answered."""
    answers = [c for c in calls if c.method == "answerCallbackQuery"]
    return sum(1 for c in answers if c.params.get("callback_query_id") == query_id)


def texts(calls: list[Call]) -> str:
    """Everything the user saw: messages, edits and callback answers, joined."""
    parts = []
    for c in calls:
        if c.method in ("sendMessage", "editMessageText"):
            parts.append(str(c.params.get("text", "")))
        elif c.method == "answerCallbackQuery" and c.params.get("text"):
            parts.append(str(c.params["text"]))
    return "\n".join(parts)


def buttons_of(calls: list[Call]) -> list[str]:
    for call in reversed(calls):
        found = keyboard(call.params)
        if found:
            return [text for text, _ in found]
    return []


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def harness(
    telegram: FakeTelegram, market: FakeMarket, client: MarketClient, db: Database, box: SecretBox
) -> AsyncIterator[Harness]:
    bot = bot_for(telegram)
    install_session_middlewares(bot)
    deps = build_deps(bot, db, client, box, RetryPolicy(base_seconds=0.05, cap_seconds=0.2))
    # Tests type faster than people; the flood limit has its own test.
    dp = create_dispatcher(storage=SQLiteStorage(db), deps=deps, flood=FloodControl(limit=10_000))
    worker = build_worker(deps, poll_interval=0.05, owed_after=0.2)
    await worker.start()
    yield Harness(dp, bot, telegram, db, box, worker, deps)
    await worker.stop()
    await close(bot)


@pytest.fixture
async def shop(db: Database, box: SecretBox) -> int:
    """The owner has connected campaign 1001 with OWNER_KEY (as /settings would have done)."""
    return await seed_shop(db, box, OWNER, campaign=CAMPAIGN)
