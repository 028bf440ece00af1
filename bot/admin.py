"""Operator commands, run on the server next to the bot's database (`python -m bot <command>`).

    python -m bot check-keys            does SECRET_KEY read every stored API key? (also at every start)
    python -m bot rotate-keys           re-encrypt every stored API key with the first SECRET_KEY
    python -m bot release-shop CAMPAIGN forget a shop whose owner lost their Telegram account, so that
                                        someone with the shop's API key can connect it again

None of them needs Telegram or the Market, and none imports aiogram. `bot.__main__` reads the command
line, and takes the database's lock (`storage.lock`) for those that write, so they are refused while the
bot runs; `check-keys` only reads. Every failure is one line (ConfigError), never a traceback.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.config import ConfigError
from storage.db import Database, SchemaTooNew
from storage.repositories import ShopsRepo
from storage.secrets import SecretBox, SecretDecryptError


@asynccontextmanager
async def opened(database_path: Path, *, migrate: bool = True) -> AsyncIterator[Database]:
    """The database, with SQLite's refusals (not a database, locked for too long), a folder where the
    file should be and a schema from a newer version of the bot as one line."""
    try:
        db = await Database.open(database_path, migrate=migrate)
        try:
            yield db
        finally:
            await db.close()
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"database {database_path}: {exc}") from None
    except IsADirectoryError:
        raise ConfigError(
            f"DATABASE_PATH {database_path} is a folder: name the database file in it"
        ) from None
    except SchemaTooNew as exc:
        raise ConfigError(
            f"database {database_path}: {exc}; it was written by a newer version of the bot: run that "
            "version, or restore a backup made with this one"
        ) from None


async def check_keys(database_path: Path, box: SecretBox, *, migrate: bool = True) -> None:
    """Refuse to start with a SECRET_KEY that cannot read the stored keys (users would get errors).
    `migrate=False`: the operator's check beside a running bot, which must not change its schema."""
    async with opened(database_path, migrate=migrate) as db:
        unreadable = await ShopsRepo(db, box).unreadable_keys()
    if unreadable:
        raise ConfigError(
            f"SECRET_KEY cannot decrypt the API keys of {len(unreadable)} stored shop(s); "
            "set the key they were saved with (or list it after the new one, comma-separated)"
        )


async def rotate_keys(database_path: Path, box: SecretBox) -> str:
    """Every stored key encrypted with the first SECRET_KEY, all or nothing."""
    async with opened(database_path) as db:
        try:
            async with db.transaction() as tx:
                count = await ShopsRepo(tx, box).reencrypt_all()
        except SecretDecryptError:
            unreadable = len(await ShopsRepo(db, box).unreadable_keys())
            raise ConfigError(
                f"SECRET_KEY cannot decrypt the API keys of {unreadable} stored shop(s), nothing was "
                "changed; set SECRET_KEY to NEW,OLD (the new key first, then the one they were saved with)"
            ) from None
    return f"re-encrypted {count} API key(s) with the first SECRET_KEY; the others may now be removed"


async def release_shop(database_path: Path, box: SecretBox, campaign_id: int) -> str:
    async with opened(database_path) as db, db.transaction() as tx:
        shop = await ShopsRepo(tx, box).delete_by_campaign(campaign_id)
    if shop is None:
        raise ConfigError(f"no shop with campaign {campaign_id} is connected")
    gone = "its key, team and history are gone"
    return f"released shop {shop.title} (campaign {shop.campaign_id}): {gone}"
