"""The `market_inbox` table: the Market's push notifications, kept from their arrival until worked on."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from bot.domain.notifications import MarketEvent
from storage.db import Executor, timestamp

COLUMNS = "id, kind, campaign_id, order_id, chat_id, business_id, message_id, event_at, payload"
FINISHED = ("done", "ignored", "failed")


def _parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def event_of(row: sqlite3.Row) -> MarketEvent:
    return MarketEvent(
        kind=row["kind"],
        campaign_id=row["campaign_id"],
        order_id=row["order_id"],
        chat_id=row["chat_id"],
        business_id=row["business_id"],
        message_id=row["message_id"],
        at=_parse_time(row["event_at"]),
        payload=json.loads(row["payload"]),
    )


class MarketInboxRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    async def add(
        self, event: MarketEvent, received_at: dt.datetime, state: str = "new", outcome: str | None = None
    ) -> int | None:
        """The new row's id; None when the same notification (type, ids, event time) is already here."""
        row = await self._ex.fetch_one(
            "INSERT INTO market_inbox (kind, campaign_id, order_id, chat_id, business_id, message_id, "
            "event_at, received_at, payload, state, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING RETURNING id",
            (
                event.kind,
                event.campaign_id,
                event.order_id,
                event.chat_id,
                event.business_id,
                event.message_id,
                timestamp(event.at),
                timestamp(received_at),
                json.dumps(event.payload, ensure_ascii=False, separators=(",", ":")),
                state,
                outcome,
            ),
        )
        return None if row is None else int(row["id"])

    async def holds(self, event: MarketEvent) -> bool:
        """Whether this notification (type, ids, event time) is already here."""
        row = await self._ex.fetch_one(
            "SELECT 1 FROM market_inbox WHERE kind = ? AND ifnull(campaign_id, 0) = ? "
            "AND ifnull(order_id, 0) = ? AND ifnull(chat_id, 0) = ? AND ifnull(business_id, 0) = ? "
            "AND ifnull(message_id, 0) = ? AND event_at = ?",
            (
                event.kind,
                event.campaign_id or 0,
                event.order_id or 0,
                event.chat_id or 0,
                event.business_id or 0,
                event.message_id or 0,
                timestamp(event.at),
            ),
        )
        return row is not None

    async def count_new(self, up_to: int) -> int:
        """How many wait to be worked on, counted up to `up_to` (the cap: no need to count past it)."""
        row = await self._ex.fetch_one(
            "SELECT count(*) FROM (SELECT 1 FROM market_inbox WHERE state = 'new' LIMIT ?)", (up_to,)
        )
        return int(row[0]) if row else 0

    async def due(self, limit: int) -> list[tuple[int, MarketEvent]]:
        rows = await self._ex.fetch_all(
            f"SELECT {COLUMNS} FROM market_inbox WHERE state = 'new' ORDER BY id LIMIT ?", (limit,)
        )
        return [(int(r["id"]), event_of(r)) for r in rows]

    async def finish(self, inbox_id: int, state: str, outcome: str) -> None:
        await self._ex.execute(
            "UPDATE market_inbox SET state = ?, outcome = ? WHERE id = ?", (state, outcome, inbox_id)
        )

    async def last_received(self, campaign_id: int | None) -> dt.datetime | None:
        if campaign_id is None:
            row = await self._ex.fetch_one("SELECT max(received_at) FROM market_inbox")
        else:
            row = await self._ex.fetch_one(
                "SELECT max(received_at) FROM market_inbox WHERE campaign_id = ?", (campaign_id,)
            )
        return None if row is None or row[0] is None else _parse_time(row[0])

    async def delete_finished_before(self, moment: dt.datetime) -> int:
        """Forget notifications worked on and received before `moment`; how many."""
        return await self._ex.execute(
            "DELETE FROM market_inbox WHERE state IN (?, ?, ?) AND received_at < ?",
            (*FINISHED, timestamp(moment)),
        )
