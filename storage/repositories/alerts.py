"""The `alerts` table: one row per event the order poller found (a cancellation request with its
answer, a reminder, a new order, a morning digest). Who gets each is `alert_deliveries`."""

from __future__ import annotations

import datetime as dt
import sqlite3

from bot.domain.alerts import Alert, AlertKind, Facts
from storage.db import Executor, timestamp

COLUMNS = "id, shop_id, order_id, kind, facts, answered_by, answer, answered_at, created_at"


def alert_of(row: sqlite3.Row) -> Alert:
    values = {k: row[k] for k in COLUMNS.split(", ")}
    values["facts"] = Facts.model_validate_json(values["facts"])
    return Alert.model_validate(values)


CORRECTION_LIMIT = dt.timedelta(hours=48)  # a request older than that is settled already: not a guess


class AlertsRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    # --- events ----------------------------------------------------------------------------
    async def record(
        self, shop_id: int, order_id: int, kind: AlertKind, facts: Facts, *, event: str = ""
    ) -> int | None:
        """A new event; None when this event was recorded before. Run it in the transaction that
        records its deliveries and moves the poll cursor (the UNIQUE constraint backs the check)."""
        known = await self._ex.fetch_one(
            "SELECT 1 FROM alerts WHERE shop_id = ? AND order_id = ? AND kind = ? AND event = ?",
            (shop_id, order_id, kind.value, event),
        )
        if known is not None:
            return None
        return await self._ex.execute(
            "INSERT INTO alerts (shop_id, order_id, kind, event, facts) VALUES (?, ?, ?, ?, ?)",
            (shop_id, order_id, kind.value, event, facts.model_dump_json(exclude_defaults=True)),
        )

    async def correct_requested_at(self, alert_id: int, at: dt.datetime) -> None:
        """A cancellation request's real time, told by the Market after a poll guessed it (the 48 hours
        and the reminder count from it; what was already sent is not sent again)."""
        alert = await self.get(alert_id)
        if alert is None or alert.facts.requested_at == at:
            return
        guessed = alert.facts.requested_at
        if guessed is not None and abs(guessed - at) > CORRECTION_LIMIT:  # not a guess set right: odd
            return
        facts = alert.facts.model_copy(update={"requested_at": at})
        await self._ex.execute(
            "UPDATE alerts SET facts = ? WHERE id = ?",
            (facts.model_dump_json(exclude_defaults=True), alert_id),
        )

    async def get(self, alert_id: int) -> Alert | None:
        row = await self._ex.fetch_one(f"SELECT {COLUMNS} FROM alerts WHERE id = ?", (alert_id,))
        return alert_of(row) if row else None

    async def cancel_request(self, shop_id: int, order_id: int) -> Alert | None:
        row = await self._ex.fetch_one(
            f"SELECT {COLUMNS} FROM alerts WHERE shop_id = ? AND order_id = ? AND kind = ?",
            (shop_id, order_id, AlertKind.CANCEL.value),
        )
        return alert_of(row) if row else None

    async def request_of(self, alert: Alert) -> Alert | None:
        """The cancellation request a cancellation alert or its reminder is about."""
        if alert.kind is AlertKind.CANCEL:
            return alert
        return await self.cancel_request(alert.shop_id, alert.order_id)

    async def open_requests(self, shop_id: int | None = None) -> list[Alert]:
        """Cancellation requests nobody has answered yet (one claimed but not yet taken is open too)."""
        sql = f"SELECT {COLUMNS} FROM alerts WHERE kind = ? AND answered_at IS NULL"
        params: list[object] = [AlertKind.CANCEL.value]
        if shop_id is not None:
            sql += " AND shop_id = ?"
            params.append(shop_id)
        return [alert_of(r) for r in await self._ex.fetch_all(sql + " ORDER BY id", params)]

    # --- answers ---------------------------------------------------------------------------
    async def claim_answer(self, alert_id: int, user_id: int, answer: str) -> bool:
        """Take the right to answer this request; False when someone holds or has used it."""
        claimed = await self._ex.execute(
            "UPDATE alerts SET answered_by = ?, answer = ? WHERE id = ? AND answer IS NULL",
            (user_id, answer, alert_id),
        )
        return claimed == 1

    async def release_answer(self, alert_id: int) -> None:
        """The answer did not reach the Market: anyone may answer again."""
        await self._ex.execute(
            "UPDATE alerts SET answered_by = NULL, answer = NULL WHERE id = ? AND answered_at IS NULL",
            (alert_id,),
        )

    async def answered(
        self, alert_id: int, now: dt.datetime, *, answer: str | None = None, by: int | None = None
    ) -> bool:
        """The request is settled: by the claimed answer, or (`answer` given) some other way."""
        if answer is None:
            done = await self._ex.execute(
                "UPDATE alerts SET answered_at = ? "
                "WHERE id = ? AND answered_at IS NULL AND answer IS NOT NULL",
                (timestamp(now), alert_id),
            )
        else:
            done = await self._ex.execute(
                "UPDATE alerts SET answered_at = ?, answer = ?, answered_by = ? "
                "WHERE id = ? AND answered_at IS NULL",
                (timestamp(now), answer, by, alert_id),
            )
        return done == 1

    async def delete_settled_before(self, moment: dt.datetime) -> int:
        """Housekeeping: events older than `moment`, except cancellation requests still open."""
        return await self._ex.execute(
            "DELETE FROM alerts WHERE created_at < ? AND NOT (kind = ? AND answered_at IS NULL)",
            (timestamp(moment), AlertKind.CANCEL.value),
        )
