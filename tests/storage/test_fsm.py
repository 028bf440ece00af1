"""The SQLite FSM storage: round trip, and a conversation that survives reopening the database."""

from __future__ import annotations

from pathlib import Path

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
