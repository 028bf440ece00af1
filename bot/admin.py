"""Operator commands, run on the server next to the bot's database (`python -m bot <command>`).

    python -m bot check-keys            does SECRET_KEY read every stored API key? (also at every start)
    python -m bot rotate-keys           re-encrypt every stored API key with the first SECRET_KEY
    python -m bot release-shop CAMPAIGN forget a shop whose owner lost their Telegram account, so that
                                        someone with the shop's API key can connect it again

None of them needs Telegram or the Market, and none imports aiogram. Those that write take the
database's lock (`storage.lock`), so they are refused while the bot runs; `check-keys` only reads.
Every failure is one line (ConfigError), never a traceback.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.config import ConfigError
from storage.db import Database
from storage.repositories import ShopsRepo
from storage.secrets import SecretBox, SecretDecryptError

USAGE = "usage: python -m bot [check-keys | rotate-keys | release-shop CAMPAIGN_ID]"


@dataclass(frozen=True, slots=True)
class Command:
    name: Literal["check-keys", "rotate-keys", "release-shop"]
    campaign_id: int = 0  # release-shop's

    @property
    def writes(self) -> bool:
        """Whether it needs the database to itself (the bot's lock)."""
        return self.name != "check-keys"


def parse_command(args: Sequence[str]) -> Command:
    """The command the arguments name; ConfigError with the usage line for anything else."""
    match list(args):
        case ["check-keys"]:
            return Command("check-keys")
        case ["rotate-keys"]:
            return Command("rotate-keys")
        case ["release-shop", campaign] if campaign.isdigit():
            return Command("release-shop", int(campaign))
    raise ConfigError(USAGE)


def require_database(database_path: Path) -> None:
    """A command works on the bot's existing database: it never creates an empty one elsewhere."""
    if not database_path.is_file():
        raise ConfigError(f"no database at {database_path}: set DATABASE_PATH to the bot's database")


@asynccontextmanager
async def opened(database_path: Path) -> AsyncIterator[Database]:
    """The database, with SQLite's refusals (not a database, locked for too long) as one line."""
    try:
        db = await Database.open(database_path)
        try:
            yield db
        finally:
            await db.close()
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"database {database_path}: {exc}") from None


async def check_keys(database_path: Path, box: SecretBox) -> None:
    """Refuse to start with a SECRET_KEY that cannot read the stored keys (users would get errors)."""
    async with opened(database_path) as db:
        unreadable = await ShopsRepo(db, box).unreadable_keys()
    if unreadable:
        raise ConfigError(
            f"SECRET_KEY cannot decrypt the API keys of {len(unreadable)} stored shop(s); "
            "set the key they were saved with (or list it after the new one, comma-separated)"
        )


async def run_command(command: Command, database_path: Path, box: SecretBox) -> str:
    """Run one operator command on an existing database; returns what to print."""
    require_database(database_path)
    if command.name == "check-keys":
        await check_keys(database_path, box)
        return "every stored API key can be read with SECRET_KEY"
    async with opened(database_path) as db:
        if command.name == "rotate-keys":
            return await _rotate(db, box)
        async with db.transaction() as tx:
            shop = await ShopsRepo(tx, box).delete_by_campaign(command.campaign_id)
    if shop is None:
        raise ConfigError(f"no shop with campaign {command.campaign_id} is connected")
    gone = "its key, team and history are gone"
    return f"released shop {shop.title} (campaign {shop.campaign_id}): {gone}"


async def _rotate(db: Database, box: SecretBox) -> str:
    try:
        async with db.transaction() as tx:  # all or nothing
            count = await ShopsRepo(tx, box).reencrypt_all()
    except SecretDecryptError:
        unreadable = len(await ShopsRepo(db, box).unreadable_keys())
        raise ConfigError(
            f"SECRET_KEY cannot decrypt the API keys of {unreadable} stored shop(s), nothing was changed; "
            "set SECRET_KEY to NEW,OLD (the new key first, then the one they were saved with)"
        ) from None
    return f"re-encrypted {count} API key(s) with the first SECRET_KEY; the others may now be removed"
