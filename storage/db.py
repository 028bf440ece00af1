"""The SQLite connection: PRAGMAs, versioned migrations, serialised access."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

logger = logging.getLogger("storage.db")

BUSY_TIMEOUT_MS = 5000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The SQL files in `storage/migrations`, ordered by their number (0001, 0002, ...)."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError("storage migrations must be numbered 0001, 0002, ... without gaps")
    return found


class SchemaTooNew(RuntimeError):
    """The database was written by a newer version of the bot (a rollback): this one must not touch it."""


class Executor(Protocol):
    """Where a repository runs its SQL: the database itself, or one transaction on it."""

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None: ...

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]: ...


class Database:
    """One aiosqlite connection; every statement and transaction goes through one lock.

    The lock keeps one coroutine's transaction from seeing or mixing with another's statements.
    """

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()

    @classmethod
    async def open(
        cls, path: Path | str, *, target_version: int | None = None, migrate: bool = True
    ) -> Database:
        """The database, migrated to this version's schema (`migrate=False`: as it is, for a reader
        beside a running bot, which may be another version)."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # Only the bot's user may read it (SQLite gives its -wal and -shm files the same mode).
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        # Closed on any failure: an open connection's thread would keep the process from exiting
        # (a file that is not a database fails at the first PRAGMA).
        try:
            conn.row_factory = sqlite3.Row
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA journal_mode = WAL")
            # FULL: a committed operation survives a power cut (NORMAL in WAL mode may lose the last
            # commits). Writes here are a few per user action, so the extra fsync costs nothing noticeable.
            await conn.execute("PRAGMA synchronous = FULL")
            await conn.execute("PRAGMA foreign_keys = ON")
            db = cls(conn)
            if migrate:
                await db.migrate(target_version)
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    async def version(self) -> int:
        row = await self.fetch_one("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self, target_version: int | None = None) -> None:
        """Apply the migrations newer than the file's `user_version`, each in its own transaction."""
        migrations = load_migrations()
        target = migrations[-1].version if target_version is None else target_version
        current = await self.version()
        if current > len(migrations):
            raise SchemaTooNew(
                f"database schema version {current} is newer than this bot knows ({len(migrations)})"
            )
        for migration in migrations:
            if current < migration.version <= target:
                async with self._lock:
                    await self._conn.execute("BEGIN IMMEDIATE")
                    try:
                        for statement in _split_sql(migration.sql):
                            await self._conn.execute(statement)
                        await self._conn.execute(f"PRAGMA user_version = {migration.version}")
                    except BaseException:
                        await self._conn.rollback()
                        raise
                    await self._conn.commit()
                logger.info("applied migration %s", migration.name)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error), holding the connection meanwhile."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._conn)
            except BaseException:
                await self._conn.rollback()
                raise
            await self._conn.commit()

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement on its own; returns the last row id (for INSERT) or the row count."""
        async with self._lock:
            cursor = await self._conn.execute(sql, params)
            return _result(sql, cursor)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self._lock:
            await self._conn.executemany(sql, rows)

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        async with self._lock, self._conn.execute(sql, params) as cursor:
            row: sqlite3.Row | None = await cursor.fetchone()
            return row

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self._lock, self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())


class Transaction:
    """Statements run inside `Database.transaction()`."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = await self._conn.execute(sql, params)
        return _result(sql, cursor)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        async with self._conn.execute(sql, params) as cursor:
            row: sqlite3.Row | None = await cursor.fetchone()
            return row

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())


def _result(sql: str, cursor: aiosqlite.Cursor) -> int:
    """The new row's id for an INSERT, else how many rows the statement changed."""
    if sql.lstrip().upper().startswith("INSERT"):
        return cursor.lastrowid or 0
    return cursor.rowcount


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (sqlite3.complete_statement knows where each one ends)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        ln.strip().startswith("--") or not ln.strip() for ln in buffer.splitlines()
    ):
        raise ValueError("migration ends with an incomplete statement")
    return statements


def timestamp(moment: dt.datetime) -> str:
    """Timestamps are stored as sortable ISO-8601 UTC text, like the schema's defaults."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_timestamp(text: str) -> dt.datetime:
    """A stored timestamp read back (see `timestamp`)."""
    return dt.datetime.fromisoformat(text)
