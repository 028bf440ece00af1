"""Entry point: `python -m bot` reads settings, takes the database's lock, builds everything, runs long
polling or the webhook; `python -m bot <command>` runs an operator command (bot.admin).

Anything the operator must fix (a setting, the key, a database another process holds, a token Telegram
refuses) is one line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot import redaction
from bot.config import ConfigError, Settings, load_settings, resolve_secret_key
from storage.lock import DatabaseInUse, exclusive, lock_path
from storage.secrets import SecretBox

logger = logging.getLogger("bot")
USAGE = "usage: python -m bot [check-keys | rotate-keys | release-shop CAMPAIGN_ID]"
CAMPAIGN_ID_MAX = 2**63 - 1  # what SQLite's integer holds


@dataclass(frozen=True, slots=True)
class Command:
    """An operator command (bot.admin) as the command line names it."""

    name: Literal["check-keys", "rotate-keys", "release-shop"]
    campaign_id: int = 0  # release-shop's

    @classmethod
    def parse(cls, args: Sequence[str]) -> Command:
        match list(args):
            case ["check-keys"]:
                return cls("check-keys")
            case ["rotate-keys"]:
                return cls("rotate-keys")
            case ["release-shop", campaign] if campaign.isascii() and campaign.isdigit():
                if int(campaign) <= CAMPAIGN_ID_MAX:
                    return cls("release-shop", int(campaign))
        raise ConfigError(USAGE)

    @property
    def writes(self) -> bool:
        """Whether it needs the database to itself (the bot's lock)."""
        return self.name != "check-keys"

    def check_database(self, database_path: Path) -> None:
        """A command works on the bot's existing database: it never creates an empty one elsewhere."""
        check_not_a_folder(database_path)
        if not database_path.is_file():
            raise ConfigError(f"no database at {database_path}: set DATABASE_PATH to the bot's database")

    async def run(self, database_path: Path, box: SecretBox) -> str:
        """What to print; ConfigError when refused. Storage is imported only now, after the lock, so
        a start refused for the lock is quick."""
        from bot import admin

        if self.name == "check-keys":
            await admin.check_keys(database_path, box, migrate=False)  # the bot may run beside it
            return "every stored API key can be read with SECRET_KEY"
        if self.name == "rotate-keys":
            return await admin.rotate_keys(database_path, box)
        return await admin.release_shop(database_path, box, self.campaign_id)


def check_not_a_folder(database_path: Path) -> None:
    if database_path.is_dir():
        raise ConfigError(f"DATABASE_PATH {database_path} is a folder: name the database file in it")


# Libraries that would log what the bot must not: httpx full URLs at INFO (a buyer's file's name is in
# its URL; our own one line per call is enough), aiosqlite each statement with its values at DEBUG.
QUIETER = {"httpx": logging.WARNING, "aiosqlite": logging.INFO}


def setup_logging(level: str, fmt: str = "text") -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    if fmt == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(redaction.JsonFormatter())
    for name, quiet in QUIETER.items():
        logging.getLogger(name).setLevel(quiet)
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
        command = Command.parse(sys.argv[1:]) if sys.argv[1:] else None
        if command is not None:
            command.check_database(settings.database_path)
        check_not_a_folder(settings.database_path)
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
        if command is None:
            return refuse(f"{exc}: this copy exits. To restart the bot, stop that one first")
        return refuse(f"{exc}: stop it, run {command.name}, then start it again")


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


def start(settings: Settings, command: Command | None) -> int:
    """An operator command, or the bot (after the stored keys are checked)."""
    secret_key = resolve_secret_key(settings, logger)
    box = SecretBox(secret_key)
    if command is not None:
        print(asyncio.run(command.run(settings.database_path, box)))
        return 0
    from bot import admin  # after the lock (see Command.run)

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
