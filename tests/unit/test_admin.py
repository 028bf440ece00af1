"""Operator commands and the start-up key check: keys at rest stay readable, rotate, and can be released."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.admin import check_keys, run_command
from bot.config import ConfigError
from storage.db import Database
from storage.repositories import ShopsRepo
from storage.secrets import SecretBox
from tests.conftest import OWNER_KEY, seed_shop

OLD, NEW = Fernet.generate_key(), Fernet.generate_key()


@pytest.fixture
async def database(tmp_path: Path) -> Path:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    try:
        await seed_shop(db, SecretBox(OLD), 10)
    finally:
        await db.close()
    return path


async def stored_key(path: Path, box: SecretBox) -> str | None:
    db = await Database.open(path)
    try:
        shop = await ShopsRepo(db, box).by_campaign(1001)
        return await ShopsRepo(db, box).api_key(shop.id) if shop else None
    finally:
        await db.close()


async def test_a_wrong_secret_key_is_named_before_anything_starts(database: Path) -> None:
    await check_keys(database, SecretBox(OLD))
    with pytest.raises(ConfigError, match="SECRET_KEY cannot decrypt the API keys of 1 stored shop"):
        await check_keys(database, SecretBox(NEW))


async def test_keys_rotate_to_a_new_secret_key(database: Path) -> None:
    both = SecretBox(NEW + b"," + OLD)
    assert await stored_key(database, both) == OWNER_KEY, "while rotating, the old key still reads"
    said = await run_command(["rotate-keys"], database, both)
    assert "re-encrypted 1" in said
    assert await stored_key(database, SecretBox(NEW)) == OWNER_KEY, "the new key alone reads it now"
    with pytest.raises(ConfigError):
        await check_keys(database, SecretBox(OLD))


async def test_release_a_shop_whose_owner_is_gone(database: Path) -> None:
    said = await run_command(["release-shop", "1001"], database, SecretBox(OLD))
    assert "released shop dbs-shop.example" in said
    assert await stored_key(database, SecretBox(OLD)) is None
    with pytest.raises(ConfigError, match="no shop with campaign 1001"):
        await run_command(["release-shop", "1001"], database, SecretBox(OLD))
    with pytest.raises(ConfigError, match="usage"):
        await run_command(["release-shop", "abc"], database, SecretBox(OLD))
