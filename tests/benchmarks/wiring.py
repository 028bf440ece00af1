"""The bot as the benchmarks drive it: its dependencies wired as bot.app wires them, on a temporary
database, talking to a fake Telegram in this process and to a Market served by another process (so
the Market's own work does not share the measured event loop)."""

from __future__ import annotations

import multiprocessing
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from cryptography.fernet import Fernet

from bot.app import Deps, build_deps, install_session_middlewares
from bot.market.client import MarketClient
from bot.market.transport import MarketTransport
from storage.db import Database
from storage.secrets import SecretBox
from tests.fakes.telegram import FakeTelegram


@dataclass
class Wired:
    market: Connection  # the Market process's end of the pipe: it sends its URL first
    telegram: FakeTelegram
    db: Database
    box: SecretBox
    bot: Bot
    deps: Deps


@asynccontextmanager
async def wired(run_market: Callable[[Connection], None]) -> AsyncIterator[Wired]:
    """The Market process started (`run_market` serves it and answers on the pipe), the bot wired;
    everything closed afterwards (the Market process is joined: the benchmark tells it to stop)."""
    conn, child_conn = multiprocessing.Pipe()
    child = multiprocessing.Process(target=run_market, args=(child_conn,), daemon=True)
    child.start()
    market_url = conn.recv()
    telegram = FakeTelegram()
    await telegram.start()
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bench.sqlite3")
        box = SecretBox(Fernet.generate_key())
        transport = MarketTransport(market_url)
        bot = Bot(telegram.token, session=AiohttpSession(api=TelegramAPIServer.from_base(telegram.url)))
        install_session_middlewares(bot)
        try:
            yield Wired(conn, telegram, db, box, bot, build_deps(bot, db, MarketClient(transport), box))
        finally:
            await bot.session.close()
            await transport.aclose()
            await db.close()
            await telegram.stop()
            child.join(timeout=5)
