"""Entry point: `python -m bot` reads settings, builds everything, runs long polling."""

from __future__ import annotations

import asyncio
import logging
import sys

from bot import admin, redaction
from bot.config import ConfigError, Settings, load_settings, resolve_secret_key
from storage.secrets import SecretBox

logger = logging.getLogger("bot")


def setup_logging(level: str, fmt: str = "text") -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    if fmt == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(redaction.JsonFormatter())
    # httpx logs full URLs at INFO; our own one-line-per-call log is enough.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # aiogram logs every update handled at INFO: counted and timed in /metrics instead (DEBUG keeps it).
    if level != "DEBUG":
        logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    redaction.install()


def mask_secrets(settings: Settings) -> None:
    """The bot token and the webhook's secret are masked in every log line from the start."""
    redaction.REDACTOR.add(settings.bot_token.get_secret_value(), keep=True)
    if settings.webhook_secret is not None:
        redaction.REDACTOR.add(settings.webhook_secret.get_secret_value(), keep=True)


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    mask_secrets(settings)
    setup_logging(settings.log_level, settings.log_format)
    try:
        secret_key = resolve_secret_key(settings, logger)
        box = SecretBox(secret_key)
        if sys.argv[1:]:
            print(asyncio.run(admin.run_command(sys.argv[1:], settings.database_path, box)))
            return 0
        asyncio.run(admin.check_keys(settings.database_path, box))
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    # Imported only now, a bad setting being reported before that; and without building every Bot API
    # model up front (see bot.lazy_aiogram).
    from bot.lazy_aiogram import import_aiogram

    import_aiogram()
    from bot.app import run

    asyncio.run(run(settings, secret_key))
    return 0


if __name__ == "__main__":
    sys.exit(main())
