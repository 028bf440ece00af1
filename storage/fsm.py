"""aiogram FSM storage on SQLite, so a conversation in progress survives a restart."""

from __future__ import annotations

import json
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


class SQLiteStorage(BaseStorage):
    """State and data of each conversation in the `fsm` table (data as JSON).

    Whatever lands in FSM data is stored in clear, so handlers keep only ids and user input there,
    never secrets.
    """

    def __init__(self, db: Database, key_builder: KeyBuilder | None = None) -> None:
        self._db = db
        self._keys = key_builder or DefaultKeyBuilder(with_bot_id=True, with_destiny=True)

    def _key(self, key: StorageKey) -> str:
        return self._keys.build(key)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._db.execute(
            "INSERT INTO fsm (storage_key, state) VALUES (?, ?) ON CONFLICT(storage_key) DO UPDATE "
            "SET state = excluded.state, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            (self._key(key), value),
        )
        await self._forget_if_empty(key)

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self._db.fetch_one("SELECT state FROM fsm WHERE storage_key = ?", (self._key(key),))
        return row["state"] if row else None

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
        await ex.execute("DELETE FROM fsm WHERE storage_key = ?", (self._key(key),))

    async def _forget_if_empty(self, key: StorageKey) -> None:
        await self._db.execute(
            "DELETE FROM fsm WHERE storage_key = ? AND state IS NULL AND data = '{}'",
            (self._key(key),),
        )

    async def close(self) -> None:
        """The database is closed by its owner (`bot.__main__`), not by the dispatcher."""
