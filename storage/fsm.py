"""aiogram FSM storage on SQLite, so a conversation in progress survives a restart."""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)

from storage.db import Database, Executor

CACHED = 10_000  # conversations whose state is kept in memory too (most recently used)
CACHE_SECONDS = 600.0  # a cached state is read again after this long (housekeeping may have ended it)


class SQLiteStorage(BaseStorage):
    """State and data of each conversation in the `fsm` table (data as JSON).

    aiogram reads the state of every update's conversation, and handlers end conversations that may
    not exist (`state.clear()` is two writes). So the states last read or written are also kept in
    memory, with whether the conversation has a row at all (write-through: the table is written first
    and stays what a restart resumes from): an update outside any conversation costs no database call,
    and clearing a conversation that is not there writes nothing.

    Whatever lands in FSM data is stored in clear, so handlers keep only ids and user input there,
    never secrets.
    """

    def __init__(self, db: Database, key_builder: KeyBuilder | None = None) -> None:
        self._db = db
        self._keys = key_builder or DefaultKeyBuilder(with_bot_id=True, with_destiny=True)
        # storage key → (when cached, state, whether the row exists)
        self._known: OrderedDict[str, tuple[float, str | None, bool]] = OrderedDict()

    def _cached(self, storage_key: str) -> tuple[str | None, bool] | None:
        found = self._known.get(storage_key)
        if found is None or time.monotonic() - found[0] > CACHE_SECONDS:
            return None
        self._known.move_to_end(storage_key)
        return found[1], found[2]

    def _absent(self, storage_key: str) -> bool:
        cached = self._cached(storage_key)
        return cached is not None and not cached[1]

    def _remember(self, storage_key: str, state: str | None, exists: bool) -> None:
        self._known[storage_key] = (time.monotonic(), state, exists)
        self._known.move_to_end(storage_key)
        if len(self._known) > CACHED:
            self._known.popitem(last=False)

    def _key(self, key: StorageKey) -> str:
        return self._keys.build(key)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        storage_key = self._key(key)
        if value is None and self._absent(storage_key):
            return  # no conversation to end
        self._known.pop(storage_key, None)  # read again if the write fails half-way
        await self._db.execute(
            "INSERT INTO fsm (storage_key, state) VALUES (?, ?) ON CONFLICT(storage_key) DO UPDATE "
            "SET state = excluded.state, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            (storage_key, value),
        )
        self._remember(storage_key, value, not await self._forget_if_empty(storage_key))

    async def get_state(self, key: StorageKey) -> str | None:
        storage_key = self._key(key)
        cached = self._cached(storage_key)
        if cached is not None:
            return cached[0]
        row = await self._db.fetch_one("SELECT state FROM fsm WHERE storage_key = ?", (storage_key,))
        state = row["state"] if row else None
        self._remember(storage_key, state, row is not None)
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        storage_key = self._key(key)
        if not data and self._absent(storage_key):
            return  # nothing kept, nothing to keep
        cached = self._cached(storage_key)
        self._known.pop(storage_key, None)
        await self._db.execute(
            "INSERT INTO fsm (storage_key, data) VALUES (?, ?) ON CONFLICT(storage_key) DO UPDATE "
            "SET data = excluded.data, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            (storage_key, json.dumps(dict(data), ensure_ascii=False)),
        )
        gone = await self._forget_if_empty(storage_key)
        if cached is not None:
            self._remember(storage_key, cached[0], not gone)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        storage_key = self._key(key)
        if self._absent(storage_key):
            return {}
        row = await self._db.fetch_one("SELECT data FROM fsm WHERE storage_key = ?", (storage_key,))
        if row is None:
            return {}
        data: dict[str, Any] = json.loads(row["data"])
        return data

    async def clear_in(self, ex: Executor, key: StorageKey) -> None:
        """End the conversation as part of a transaction the caller holds (state and data gone)."""
        self._known.pop(self._key(key), None)  # read again once that transaction has ended
        await ex.execute("DELETE FROM fsm WHERE storage_key = ?", (self._key(key),))

    async def _forget_if_empty(self, storage_key: str) -> bool:
        """Delete the row once it holds nothing; True if it went."""
        deleted = await self._db.execute(
            "DELETE FROM fsm WHERE storage_key = ? AND state IS NULL AND data = '{}'", (storage_key,)
        )
        return deleted == 1

    async def close(self) -> None:
        """The database is closed by its owner (`bot.__main__`), not by the dispatcher."""
