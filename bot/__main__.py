"""Entry point: `python -m bot` reads settings, builds everything, runs long polling."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot import redaction
from bot.app import build_deps, build_worker, create_dispatcher, install_session_middlewares
from bot.config import ConfigError, Settings, load_settings, resolve_secret_key
from bot.domain.retry import RetryPolicy
from bot.market import MarketClient, MarketTransport
from bot.telegram.middlewares import FloodControlMiddleware, InFlightUpdates
from storage.db import Database
from storage.fsm import SQLiteStorage
from storage.secrets import SecretBox

logger = logging.getLogger("bot")
SHUTDOWN_GRACE = 5.0  # seconds; with polling's own stop this keeps SIGTERM-to-exit under 10 s


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    # httpx logs full URLs at INFO; our own one-line-per-call log is enough.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    redaction.install()


async def run(settings: Settings, secret_key: bytes) -> None:
    db = await Database.open(settings.database_path)
    transport = MarketTransport(str(settings.market_api_url), timeout=settings.market_timeout_seconds)
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
    install_session_middlewares(bot)
    try:
        policy = RetryPolicy(
            base_seconds=settings.retry_base_seconds,
            cap_seconds=settings.retry_max_seconds,
            window=dt.timedelta(hours=settings.retry_window_hours),
        )
        deps = build_deps(
            bot, db, client, SecretBox(secret_key), policy, invite_ttl_seconds=settings.invite_ttl_seconds
        )
        flood = FloodControlMiddleware(settings.flood_limit, settings.flood_period_seconds)
        in_flight = InFlightUpdates()
        dp = create_dispatcher(storage=SQLiteStorage(db), deps=deps, flood=flood, in_flight=in_flight)
        worker = build_worker(deps)
        await worker.start()
        try:
            logger.info("starting long polling")
            await dp.start_polling(bot, handle_signals=True, close_bot_session=False)
        finally:
            # Handlers and retries already running get a few seconds to finish, side by side.
            await asyncio.gather(in_flight.drain(SHUTDOWN_GRACE), worker.stop(SHUTDOWN_GRACE))
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
    redaction.REDACTOR.add(settings.bot_token.get_secret_value())
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
