"""Entry point: `python -m bot` reads settings, builds everything, runs long polling."""

from __future__ import annotations

import asyncio
import logging
import sys

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot.app import build_deps, create_dispatcher
from bot.config import ConfigError, Settings, load_settings, resolve_secret_key
from bot.market import MarketClient, MarketTransport
from storage.db import Database
from storage.fsm import SQLiteStorage
from storage.secrets import SecretBox

logger = logging.getLogger("bot")


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    # httpx logs full URLs at INFO; our own one-line-per-call log is enough.
    logging.getLogger("httpx").setLevel(logging.WARNING)


async def run(settings: Settings, secret_key: bytes) -> None:
    db = await Database.open(settings.database_path)
    transport = MarketTransport(str(settings.market_api_url))
    client = MarketClient(transport)
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(str(settings.telegram_api_url)))
        if settings.telegram_api_url
        else AiohttpSession()
    )
    bot = Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    try:
        deps = build_deps(db, client, SecretBox(secret_key))
        dp = create_dispatcher(storage=SQLiteStorage(db), deps=deps)
        logger.info("starting long polling")
        await dp.start_polling(bot, handle_signals=True, close_bot_session=True)
    finally:
        await bot.session.close()
        await transport.aclose()
        await db.close()
        logger.info("stopped")


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    try:
        secret_key = resolve_secret_key(settings, logger)
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    asyncio.run(run(settings, secret_key))
    return 0


if __name__ == "__main__":
    sys.exit(main())
