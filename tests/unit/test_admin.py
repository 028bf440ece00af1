"""Operator commands and the start-up key check: keys at rest stay readable, rotate, and can be released;
every refusal is one line and exit status 2 (`python -m bot`'s `main`, run in process), never a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot import __main__ as entry
from bot.admin import check_keys, release_shop, rotate_keys
from bot.config import ConfigError
from storage.db import Database, load_migrations
from storage.lock import exclusive
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
    said = await rotate_keys(database, both)
    assert "re-encrypted 1" in said
    assert await stored_key(database, SecretBox(NEW)) == OWNER_KEY, "the new key alone reads it now"
    with pytest.raises(ConfigError):
        await check_keys(database, SecretBox(OLD))


async def test_release_a_shop_whose_owner_is_gone(database: Path) -> None:
    said = await release_shop(database, SecretBox(OLD), 1001)
    assert "released shop dbs-shop.example" in said
    assert await stored_key(database, SecretBox(OLD)) is None
    with pytest.raises(ConfigError, match="no shop with campaign 1001"):
        await release_shop(database, SecretBox(OLD), 1001)


@dataclass
class PythonMBot:
    """`python -m bot ARGS`, in this process: (exit status, stdout, stderr)."""

    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]

    def __call__(self, database: Path, *args: str, secret_key: bytes = NEW) -> tuple[int, str, str]:
        self.monkeypatch.setattr(sys, "argv", ["bot", *args])
        self.monkeypatch.setenv("DATABASE_PATH", str(database))
        self.monkeypatch.setenv("SECRET_KEY", secret_key.decode())
        status = entry.main()
        out, err = self.capsys.readouterr()
        return status, out, err


@pytest.fixture
def python_m_bot(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> PythonMBot:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("BOT_TOKEN", "123456:" + "A" * 35)
    monkeypatch.setattr(entry, "setup_logging", lambda *_: None)  # the test run's logging stays as it is
    return PythonMBot(monkeypatch, capsys)


def test_rotating_without_the_old_key_says_so_in_one_line_and_changes_nothing(
    python_m_bot: PythonMBot, database: Path
) -> None:
    status, out, err = python_m_bot(database, "rotate-keys")  # NEW alone, not NEW,OLD
    assert (status, out) == (2, "")
    assert err == (
        "Configuration error: SECRET_KEY cannot decrypt the API keys of 1 stored shop(s), nothing was "
        "changed; set SECRET_KEY to NEW,OLD (the new key first, then the one they were saved with)\n"
    )


async def test_after_a_refused_rotation_the_old_key_still_reads(
    python_m_bot: PythonMBot, database: Path
) -> None:
    with pytest.raises(ConfigError, match="nothing was changed"):
        await rotate_keys(database, SecretBox(NEW))
    assert await stored_key(database, SecretBox(OLD)) == OWNER_KEY


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["frobnicate"],
            "Configuration error: usage: python -m bot [check-keys | rotate-keys | release-shop",
        ),
        (["release-shop", "abc"], "Configuration error: usage: python -m bot"),
        (["release-shop"], "Configuration error: usage: python -m bot"),
        (["release-shop", "999"], "Configuration error: no shop with campaign 999 is connected"),
        (["check-keys"], "Configuration error: SECRET_KEY cannot decrypt the API keys of 1 stored shop"),
    ],
)
def test_each_refused_command_is_one_line_and_exit_2(
    python_m_bot: PythonMBot,
    database: Path,
    args: list[str],
    said: str,
) -> None:
    status, out, err = python_m_bot(database, *args)
    assert (status, out) == (2, "")
    assert err.startswith(said) and err.count("\n") == 1


@pytest.mark.parametrize("command", ["check-keys", "rotate-keys", "release-shop"])
def test_a_missing_database_is_named_and_not_created(
    python_m_bot: PythonMBot, tmp_path: Path, command: str
) -> None:
    missing = tmp_path / "elsewhere" / "bot.sqlite3"
    args = [command, "1001"] if command == "release-shop" else [command]
    status, _, err = python_m_bot(missing, *args)
    assert (status, err) == (
        2,
        f"Configuration error: no database at {missing}: set DATABASE_PATH to the bot's database\n",
    )
    assert not missing.parent.exists(), "nothing was created there (no database, no key, no lock)"


def test_a_file_that_is_not_a_database_is_one_line(python_m_bot: PythonMBot, tmp_path: Path) -> None:
    garbage = tmp_path / "bot.sqlite3"
    garbage.write_bytes(b"not a database at all" * 100)
    status, _, err = python_m_bot(garbage, "check-keys")
    assert (status, err) == (2, f"Configuration error: database {garbage}: file is not a database\n")


@pytest.mark.parametrize("args", [["rotate-keys"], ["release-shop", "1001"]])
def test_commands_that_write_are_refused_while_the_bot_runs(
    python_m_bot: PythonMBot, database: Path, args: list[str]
) -> None:
    with exclusive(database):  # what the running bot holds
        status, out, err = python_m_bot(database, *args, secret_key=NEW + b"," + OLD)
    assert (status, out) == (2, "")
    assert err.startswith(f"the bot already runs on {database} (pid ") and err.count("\n") == 1
    assert err.endswith(f": stop it, run {args[0]}, then start it again\n")
    assert asyncio.run(stored_key(database, SecretBox(OLD))) == OWNER_KEY, "still there, under the old key"


def test_check_keys_only_reads_so_it_runs_beside_the_bot(python_m_bot: PythonMBot, database: Path) -> None:
    with exclusive(database):
        status, out, _ = python_m_bot(database, "check-keys", secret_key=OLD)
    assert (status, out) == (0, "every stored API key can be read with SECRET_KEY\n")


@pytest.mark.parametrize("campaign", ["99999999999999999999999", "1001²"])
def test_release_shop_with_a_mistyped_campaign_is_the_usage_line(
    python_m_bot: PythonMBot, database: Path, campaign: str
) -> None:
    status, _, err = python_m_bot(database, "release-shop", campaign, secret_key=OLD)
    assert (
        status == 2 and err.startswith("Configuration error: usage: python -m bot") and err.count("\n") == 1
    )


@pytest.mark.parametrize("args", [[], ["check-keys"]])
def test_a_folder_for_the_database_is_one_line(
    python_m_bot: PythonMBot, tmp_path: Path, args: list[str]
) -> None:
    folder = tmp_path / "bot.sqlite3"
    folder.mkdir()
    status, _, err = python_m_bot(folder, *args)
    assert (
        status == 2
        and err == f"Configuration error: DATABASE_PATH {folder} is a folder: name the database file in it\n"
    )


def test_a_database_from_a_newer_bot_is_one_line(python_m_bot: PythonMBot, database: Path) -> None:
    """A rolled-back deploy: the newer version migrated the database, the older one starts on it."""
    with contextlib.closing(sqlite3.connect(database)) as conn:
        conn.execute("PRAGMA user_version = 999")
    status, _, err = python_m_bot(database, secret_key=OLD)
    assert status == 2 and err.count("\n") == 1
    assert "newer than this bot knows" in err and "run that version, or restore a backup" in err


async def test_check_keys_beside_the_running_bot_leaves_its_schema_alone(
    python_m_bot: PythonMBot, tmp_path: Path
) -> None:
    """A natural check before a deploy: the new version's check-keys beside the old bot still running."""
    path = tmp_path / "bot.sqlite3"
    older = len(load_migrations()) - 1
    await (await Database.open(path, target_version=older)).close()
    with exclusive(path):  # the running bot
        status, _, _ = await asyncio.to_thread(python_m_bot, path, "check-keys", secret_key=OLD)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert (status, conn.execute("PRAGMA user_version").fetchone()[0]) == (0, older)
