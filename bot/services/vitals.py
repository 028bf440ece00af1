"""What /healthz and /metrics read of the bot's state: whether the database answers, how many
operations are in each state, when the Market's last notification came. The HTTP side
(bot/telegram/health.py) asks this, not storage."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3

from storage.db import Database
from storage.repositories import MarketInboxRepo, OperationsRepo

DB_CHECK_SECONDS = 2.0
# A closed connection raises ValueError; a broken file sqlite3.Error; a stuck one times out.
DATABASE_DOWN = (sqlite3.Error, ValueError, TimeoutError, OSError)
# The operations' stored statuses, as the metrics name them.
OPERATION_STATES = {"pending": "pending", "sending": "pending", "done": "sent", "failed": "failed"}


class DatabaseDown(Exception):
    """The database did not answer (closed, broken or stuck); the message names how."""


class Vitals:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def check_database(self) -> None:
        """Returns when the database answers a query within DB_CHECK_SECONDS; raises DatabaseDown."""
        try:
            await asyncio.wait_for(self._db.fetch_one("SELECT 1"), DB_CHECK_SECONDS)
        except DATABASE_DOWN as exc:
            raise DatabaseDown(type(exc).__name__) from exc

    async def last_notification(self) -> dt.datetime | None:
        """When the Market's last push notification (PING included) arrived; raises DatabaseDown."""
        try:
            return await MarketInboxRepo(self._db).last_received(None)
        except DATABASE_DOWN as exc:
            raise DatabaseDown(type(exc).__name__) from exc

    async def operation_counts(self) -> dict[str, int]:
        """Operations now, by state (pending, sent, failed); raises DatabaseDown."""
        try:
            stored = await OperationsRepo(self._db).counts()
        except DATABASE_DOWN as exc:
            raise DatabaseDown(type(exc).__name__) from exc
        counts = dict.fromkeys(("pending", "sent", "failed"), 0)
        for status, n in stored.items():
            state = OPERATION_STATES.get(status, status)
            counts[state] = counts.get(state, 0) + n
        return counts
