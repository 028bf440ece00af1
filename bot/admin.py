"""Operator commands, run on the server next to the bot's database (`python -m bot <command>`).

    python -m bot check-keys            does SECRET_KEY read every stored API key? (also at every start)
    python -m bot rotate-keys           re-encrypt every stored API key with the first SECRET_KEY
    python -m bot release-shop CAMPAIGN forget a shop whose owner lost their Telegram account, so that
                                        someone with the shop's API key can connect it again

None of them needs Telegram or the Market, and none imports aiogram.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.config import ConfigError
from storage.db import Database
from storage.repositories import ShopsRepo
from storage.secrets import SecretBox

USAGE = "usage: python -m bot [check-keys | rotate-keys | release-shop CAMPAIGN_ID]"


async def check_keys(database_path: Path, box: SecretBox) -> None:
    """Refuse to start with a SECRET_KEY that cannot read the stored keys (users would get errors)."""
    db = await Database.open(database_path)
    try:
        unreadable = await ShopsRepo(db, box).unreadable_keys()
    finally:
        await db.close()
    if unreadable:
        raise ConfigError(
            f"SECRET_KEY cannot decrypt the API keys of {len(unreadable)} stored shop(s); "
            "set the key they were saved with (or list it after the new one, comma-separated)"
        )


async def run_command(args: Sequence[str], database_path: Path, box: SecretBox) -> str:
    """Run one operator command; returns what to print. Raises ConfigError on bad usage."""
    if list(args) == ["check-keys"]:
        await check_keys(database_path, box)
        return "every stored API key can be read with SECRET_KEY"
    db = await Database.open(database_path)
    try:
        if list(args) == ["rotate-keys"]:
            async with db.transaction() as tx:
                count = await ShopsRepo(tx, box).reencrypt_all()
            return f"re-encrypted {count} API key(s) with the first SECRET_KEY; the others may now be removed"
        if len(args) == 2 and args[0] == "release-shop" and args[1].isdigit():
            async with db.transaction() as tx:
                shop = await ShopsRepo(tx, box).delete_by_campaign(int(args[1]))
            if shop is None:
                raise ConfigError(f"no shop with campaign {args[1]} is connected")
            gone = "its key, team and history are gone"
            return f"released shop {shop.title} (campaign {shop.campaign_id}): {gone}"
    finally:
        await db.close()
    raise ConfigError(USAGE)
