"""Migrations, PRAGMAs and transactions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.db import Database, load_migrations

EXPECTED_TABLES = {
    "users",
    "shops",
    "memberships",
    "user_settings",
    "recent_delivery_services",
    "operations",
    "delivery_services",
    "meta",
    "fsm",
}


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {r[0] for r in rows}


async def test_empty_file_gets_every_table_and_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "bot.sqlite3"
    db = await Database.open(path)
    try:
        assert await db.version() == len(load_migrations())
        journal = await db.fetch_one("PRAGMA journal_mode")
        foreign_keys = await db.fetch_one("PRAGMA foreign_keys")
        busy = await db.fetch_one("PRAGMA busy_timeout")
        assert journal is not None and journal[0] == "wal"
        assert foreign_keys is not None and foreign_keys[0] == 1
        assert busy is not None and busy[0] >= 1000
    finally:
        await db.close()
    assert tables(path) >= EXPECTED_TABLES


async def test_commits_survive_a_power_cut_and_only_the_owner_reads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    try:
        synchronous = await db.fetch_one("PRAGMA synchronous")
        assert synchronous is not None and synchronous[0] == 2, "FULL: every commit is fsynced"
        await db.execute("INSERT INTO users (id) VALUES (1)")
        for file in (path, path.with_name(path.name + "-wal")):
            assert oct(file.stat().st_mode & 0o777) == "0o600", file
    finally:
        await db.close()


@pytest.mark.parametrize("start", range(len(load_migrations())))
async def test_upgrade_from_every_earlier_version_keeps_data(tmp_path: Path, start: int) -> None:
    path = tmp_path / "bot.sqlite3"
    old = await Database.open(path, target_version=start)
    assert await old.version() == start
    if start >= 1:
        await old.execute("INSERT INTO users (id, language) VALUES (?, ?)", (5, "en"))
    await old.close()

    db = await Database.open(path)
    try:
        assert await db.version() == len(load_migrations())
        if start >= 1:
            row = await db.fetch_one("SELECT language FROM users WHERE id = 5")
            assert row is not None and row["language"] == "en"
    finally:
        await db.close()
    assert tables(path) >= EXPECTED_TABLES


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    first = await Database.open(path)
    await first.execute("INSERT INTO users (id, language) VALUES (7, 'en')")
    await first.close()
    db = await Database.open(path)  # would fail with "table already exists" if re-applied
    try:
        assert await db.version() == len(load_migrations())
        row = await db.fetch_one("SELECT language FROM users WHERE id = 7")
        assert row is not None and row["language"] == "en"
    finally:
        await db.close()


async def test_newer_schema_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(RuntimeError, match="newer"):
        await Database.open(path)


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    async def insert_then_fail() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO users (id) VALUES (1)")
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        await insert_then_fail()
    assert await db.fetch_one("SELECT id FROM users WHERE id = 1") is None


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute("INSERT INTO memberships (user_id, shop_id, role) VALUES (1, 2, 'owner')")
