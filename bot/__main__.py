"""Entry point: `python -m bot` reads settings, takes the database's lock, builds everything, runs long
polling or the webhook; `python -m bot <command>` runs an operator command (bot.admin).

Anything the operator must fix (a setting, the key, a database another process holds, a token Telegram
refuses) is one line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import asyncio
import logging
import sys
from contextlib import ExitStack
from pathlib import Path

from bot import admin, redaction
from bot.config import ConfigError, Settings, load_settings, resolve_secret_key
from storage.lock import DatabaseInUse, exclusive, lock_path
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
        command = admin.parse_command(sys.argv[1:]) if sys.argv[1:] else None
        if command is not None:
            admin.require_database(settings.database_path)
    except ConfigError as exc:
        return refuse(f"Configuration error: {exc}")
    mask_secrets(settings)
    setup_logging(settings.log_level, settings.log_format)
    try:
        with ExitStack() as held:
            if command is None or command.writes:
                hold_database(held, settings.database_path)
            return start(settings, command)
    except ConfigError as exc:
        return refuse(f"Configuration error: {exc}")
    except DatabaseInUse as exc:
        return refuse(str(exc))


def refuse(line: str) -> int:
    """One line on stderr and exit status 2: something the operator must fix before a start."""
    print(line, file=sys.stderr)
    return 2


def hold_database(held: ExitStack, database_path: Path) -> None:
    """The database's lock, taken before the database is opened and held until `held` ends (the
    process's life for the bot); see storage.lock."""
    try:
        held.enter_context(exclusive(database_path))
    except OSError as exc:  # the lock file cannot be made: one line, like a bad setting
        raise ConfigError(f"cannot lock {lock_path(database_path)}: {exc.strerror}") from None


def start(settings: Settings, command: admin.Command | None) -> int:
    """An operator command, or the bot (after the stored keys are checked)."""
    secret_key = resolve_secret_key(settings, logger)
    box = SecretBox(secret_key)
    if command is not None:
        print(asyncio.run(admin.run_command(command, settings.database_path, box)))
        return 0
    asyncio.run(admin.check_keys(settings.database_path, box))
    # Imported only now, a bad setting being reported before that; and without building every Bot API
    # model up front (see bot.lazy_aiogram).
    from bot.lazy_aiogram import import_aiogram

    import_aiogram()
    from bot.app import run

    asyncio.run(run(settings, secret_key))
    return 0


if __name__ == "__main__":
    sys.exit(main())
