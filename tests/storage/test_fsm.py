"""The SQLite FSM storage: round trip, and a conversation that survives reopening the database."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey

from storage.db import Database
from storage.fsm import SQLiteStorage


class TrackSG(StatesGroup):
    service = State()


KEY = StorageKey(bot_id=1, chat_id=100, user_id=100)
OTHER = StorageKey(bot_id=1, chat_id=200, user_id=200)


async def test_round_trip_and_isolation(db: Database) -> None:
    storage = SQLiteStorage(db)
    assert await storage.get_state(KEY) is None and await storage.get_data(KEY) == {}
    await storage.set_state(KEY, TrackSG.service)
    await storage.set_data(KEY, {"order_id": 9_007_199_254_740_993, "note": "Привет"})
    await storage.update_data(KEY, {"service_id": 51})
    assert await storage.get_state(KEY) == "TrackSG:service"
    assert await storage.get_data(KEY) == {
        "order_id": 9_007_199_254_740_993,
        "note": "Привет",
        "service_id": 51,
    }
    assert await storage.get_state(OTHER) is None
    assert await storage.get_value(KEY, "service_id") == 51


async def test_clearing_removes_the_row(db: Database) -> None:
    storage = SQLiteStorage(db)
    await storage.set_state(KEY, "TrackSG:service")
    await storage.set_data(KEY, {"a": 1})
    await storage.set_state(KEY, None)
    await storage.set_data(KEY, {})
    row = await db.fetch_one("SELECT count(*) FROM fsm")
    assert row is not None and row[0] == 0


async def test_conversation_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    await SQLiteStorage(db).set_state(KEY, TrackSG.service)
    await SQLiteStorage(db).set_data(KEY, {"order_id": 42})
    await db.close()

    reopened = await Database.open(path)
    try:
        storage = SQLiteStorage(reopened)
        assert await storage.get_state(KEY) == TrackSG.service.state
        assert await storage.get_data(KEY) == {"order_id": 42}
    finally:
        await reopened.close()


async def test_a_state_read_once_is_answered_from_memory_and_writes_go_through(db: Database) -> None:
    storage = SQLiteStorage(db)
    await storage.set_state(KEY, TrackSG.service)
    reads = 0
    fetch_one = db.fetch_one

    async def counted(sql: str, params: Sequence[Any] = ()) -> Any:
        nonlocal reads
        reads += "FROM fsm" in sql
        return await fetch_one(sql, params)

    db.fetch_one = counted  # type: ignore[method-assign]
    assert await storage.get_state(KEY) == TrackSG.service.state
    assert await storage.get_state(OTHER) is None
    assert await storage.get_state(OTHER) is None
    assert reads == 1, "the written state is known; an empty one is read once"
    row = await fetch_one("SELECT state FROM fsm WHERE storage_key LIKE '%100%'")
    assert row is not None and row["state"] == TrackSG.service.state, "written through to the table"


async def test_a_conversation_ended_in_a_rolled_back_transaction_is_still_there(db: Database) -> None:
    storage = SQLiteStorage(db)
    await storage.set_state(KEY, TrackSG.service)

    async def record_then_fail() -> None:
        async with db.transaction() as tx:
            await storage.clear_in(tx, KEY)
            raise RuntimeError("the operation could not be recorded")

    with pytest.raises(RuntimeError):
        await record_then_fail()
    assert await storage.get_state(KEY) == TrackSG.service.state
    async with db.transaction() as tx:
        await storage.clear_in(tx, KEY)
    assert await storage.get_state(KEY) is None


async def test_clearing_a_conversation_that_is_not_there_writes_nothing(db: Database) -> None:
    storage = SQLiteStorage(db)
    assert await storage.get_state(KEY) is None  # aiogram reads it for every update
    writes = 0
    execute = db.execute

    async def counted(sql: str, params: Sequence[Any] = ()) -> int:
        nonlocal writes
        writes += 1
        return await execute(sql, params)

    db.execute = counted  # type: ignore[method-assign]
    await storage.set_state(KEY, None)  # what `state.clear()` does: state, then data
    await storage.set_data(KEY, {})
    assert await storage.get_data(KEY) == {}
    assert writes == 0
    await storage.set_state(KEY, TrackSG.service)
    await storage.set_data(KEY, {"order_id": 42})
    await storage.set_state(KEY, None)
    await storage.set_data(KEY, {})
    row = await db.fetch_one("SELECT count(*) FROM fsm")
    assert row is not None and row[0] == 0 and writes == 8, "a real conversation is written and removed"
    assert await storage.get_state(KEY) is None and await storage.get_data(KEY) == {}
