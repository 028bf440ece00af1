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

    aiogram reads the state of every update's conversation; the states last read or written are also
    kept in memory (write-through: the table is written first, and stays what a restart resumes from),
    so an update outside any conversation costs no database call.

    Whatever lands in FSM data is stored in clear, so handlers keep only ids and user input there,
    never secrets.
    """

    def __init__(self, db: Database, key_builder: KeyBuilder | None = None) -> None:
        self._db = db
        self._keys = key_builder or DefaultKeyBuilder(with_bot_id=True, with_destiny=True)
        self._states: OrderedDict[str, tuple[float, str | None]] = OrderedDict()

    def _cached(self, storage_key: str) -> tuple[bool, str | None]:
        found = self._states.get(storage_key)
        if found is None or time.monotonic() - found[0] > CACHE_SECONDS:
            return False, None
        self._states.move_to_end(storage_key)
        return True, found[1]

    def _remember(self, storage_key: str, state: str | None) -> None:
        self._states[storage_key] = (time.monotonic(), state)
        self._states.move_to_end(storage_key)
        if len(self._states) > CACHED:
            self._states.popitem(last=False)

    def _key(self, key: StorageKey) -> str:
        return self._keys.build(key)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        storage_key = self._key(key)
        self._states.pop(storage_key, None)  # read again if the write fails half-way
        await self._db.execute(
            "INSERT INTO fsm (storage_key, state) VALUES (?, ?) ON CONFLICT(storage_key) DO UPDATE "
            "SET state = excluded.state, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            (storage_key, value),
        )
        await self._forget_if_empty(key)
        self._remember(storage_key, value)

    async def get_state(self, key: StorageKey) -> str | None:
        storage_key = self._key(key)
        known, state = self._cached(storage_key)
        if known:
            return state
        row = await self._db.fetch_one("SELECT state FROM fsm WHERE storage_key = ?", (storage_key,))
        state = row["state"] if row else None
        self._remember(storage_key, state)
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._db.execute(
            "INSERT INTO fsm (storage_key, data) VALUES (?, ?) ON CONFLICT(storage_key) DO UPDATE "
            "SET data = excluded.data, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            (self._key(key), json.dumps(dict(data), ensure_ascii=False)),
        )
        await self._forget_if_empty(key)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await self._db.fetch_one("SELECT data FROM fsm WHERE storage_key = ?", (self._key(key),))
        if row is None:
            return {}
        data: dict[str, Any] = json.loads(row["data"])
        return data

    async def clear_in(self, ex: Executor, key: StorageKey) -> None:
        """End the conversation as part of a transaction the caller holds (state and data gone)."""
        self._states.pop(self._key(key), None)  # read again once that transaction has ended
        await ex.execute("DELETE FROM fsm WHERE storage_key = ?", (self._key(key),))

    async def _forget_if_empty(self, key: StorageKey) -> None:
        await self._db.execute(
            "DELETE FROM fsm WHERE storage_key = ? AND state IS NULL AND data = '{}'",
            (self._key(key),),
        )

    async def close(self) -> None:
        """The database is closed by its owner (`bot.__main__`), not by the dispatcher."""
