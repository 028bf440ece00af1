"""The alert tables: each shop's poll cursor (`order_watch`), events (`alerts`), who gets them
(`alert_deliveries`) and each user's switches (`alert_switches`)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.alerts import Alert, AlertKind, Facts, Switch
from bot.domain.records import Role
from storage.db import Executor, timestamp

COLUMNS = "id, shop_id, order_id, kind, facts, answered_by, answer, answered_at, created_at"
CANCEL_KINDS = (AlertKind.CANCEL.value, AlertKind.REMINDER.value)


def alert_of(row: sqlite3.Row) -> Alert:
    values = {k: row[k] for k in COLUMNS.split(", ")}
    values["facts"] = Facts.model_validate_json(values["facts"])
    return Alert.model_validate(values)


@dataclass(frozen=True, slots=True)
class Sweep:
    """One window of update times, [start, end), read page by page: `token` names its next page (None:
    from the first), `pages` says how many were read."""

    start: dt.datetime
    end: dt.datetime
    token: str | None = None
    pages: int = 0


@dataclass(frozen=True, slots=True)
class Watch:
    watched_from: dt.datetime
    polled_until: dt.datetime
    digest_day: dt.date | None
    sweep: Sweep | None = None  # a window the page cap stopped; the next poll goes on with it


@dataclass(frozen=True, slots=True)
class Due:
    """One alert still to be sent to one user."""

    alert: Alert
    user_id: int


@dataclass(frozen=True, slots=True)
class Shown:
    """One alert message in a user's chat."""

    alert: Alert
    user_id: int
    message_id: int


def _moment(raw: str) -> dt.datetime:
    return dt.datetime.fromisoformat(raw)


class AlertsRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    # --- the poll cursor -------------------------------------------------------------------
    async def watch(self, shop_id: int) -> Watch | None:
        row = await self._ex.fetch_one(
            "SELECT watched_from, polled_until, digest_day, sweep_from, sweep_to, sweep_token, sweep_pages "
            "FROM order_watch WHERE shop_id = ?",
            (shop_id,),
        )
        if row is None:
            return None
        day = dt.date.fromisoformat(row["digest_day"]) if row["digest_day"] else None
        sweep = (
            Sweep(
                _moment(row["sweep_from"]), _moment(row["sweep_to"]), row["sweep_token"], row["sweep_pages"]
            )
            if row["sweep_from"] and row["sweep_to"]
            else None
        )
        return Watch(_moment(row["watched_from"]), _moment(row["polled_until"]), day, sweep)

    async def polled(self, shop_id: int, until: dt.datetime, *, watched_from: dt.datetime) -> None:
        """The shop's orders changed before `until` have been looked at: its window is read through
        (the first poll starts the watch)."""
        await self._ex.execute(
            "INSERT INTO order_watch (shop_id, watched_from, polled_until) VALUES (?, ?, ?) "
            "ON CONFLICT(shop_id) DO UPDATE SET polled_until = excluded.polled_until, "
            "sweep_from = NULL, sweep_to = NULL, sweep_token = NULL, sweep_pages = 0",
            (shop_id, timestamp(watched_from), timestamp(until)),
        )

    async def paused(self, shop_id: int, sweep: Sweep, *, watched_from: dt.datetime) -> None:
        """The page cap stopped the poll inside `sweep`: keep where it is; the cursor stays where it was
        (a shop's first poll starts its watch with the cursor at the window's start)."""
        await self._ex.execute(
            "INSERT INTO order_watch (shop_id, watched_from, polled_until, sweep_from, sweep_to, "
            "sweep_token, sweep_pages) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(shop_id) DO UPDATE SET "
            "sweep_from = excluded.sweep_from, sweep_to = excluded.sweep_to, "
            "sweep_token = excluded.sweep_token, sweep_pages = excluded.sweep_pages",
            (
                shop_id,
                timestamp(watched_from),
                timestamp(sweep.start),
                timestamp(sweep.start),
                timestamp(sweep.end),
                sweep.token,
                sweep.pages,
            ),
        )

    async def digest_recorded(self, shop_id: int, day: dt.date) -> None:
        await self._ex.execute(
            "UPDATE order_watch SET digest_day = ? WHERE shop_id = ?", (day.isoformat(), shop_id)
        )

    # --- events ----------------------------------------------------------------------------
    async def record(
        self,
        shop_id: int,
        order_id: int,
        kind: AlertKind,
        facts: Facts,
        recipients: Iterable[int],
        *,
        event: str = "",
    ) -> int | None:
        """A new event with the users it goes to; None when this event was recorded before. Run it in
        the transaction that moves the poll cursor (the UNIQUE constraint backs the check)."""
        known = await self._ex.fetch_one(
            "SELECT 1 FROM alerts WHERE shop_id = ? AND order_id = ? AND kind = ? AND event = ?",
            (shop_id, order_id, kind.value, event),
        )
        if known is not None:
            return None
        alert_id = await self._ex.execute(
            "INSERT INTO alerts (shop_id, order_id, kind, event, facts) VALUES (?, ?, ?, ?, ?)",
            (shop_id, order_id, kind.value, event, facts.model_dump_json(exclude_defaults=True)),
        )
        await self._ex.executemany(
            "INSERT INTO alert_deliveries (alert_id, user_id) VALUES (?, ?)",
            [(alert_id, user) for user in dict.fromkeys(recipients)],
        )
        return alert_id

    async def get(self, alert_id: int) -> Alert | None:
        row = await self._ex.fetch_one(f"SELECT {COLUMNS} FROM alerts WHERE id = ?", (alert_id,))
        return alert_of(row) if row else None

    async def cancel_request(self, shop_id: int, order_id: int) -> Alert | None:
        row = await self._ex.fetch_one(
            f"SELECT {COLUMNS} FROM alerts WHERE shop_id = ? AND order_id = ? AND kind = ?",
            (shop_id, order_id, AlertKind.CANCEL.value),
        )
        return alert_of(row) if row else None

    async def open_requests(self, shop_id: int | None = None) -> list[Alert]:
        """Cancellation requests nobody has answered yet (one claimed but not yet taken is open too)."""
        sql = f"SELECT {COLUMNS} FROM alerts WHERE kind = ? AND answered_at IS NULL"
        params: list[object] = [AlertKind.CANCEL.value]
        if shop_id is not None:
            sql += " AND shop_id = ?"
            params.append(shop_id)
        return [alert_of(r) for r in await self._ex.fetch_all(sql + " ORDER BY id", params)]

    async def recipients(self, alert_id: int) -> list[int]:
        rows = await self._ex.fetch_all(
            "SELECT user_id FROM alert_deliveries WHERE alert_id = ? ORDER BY rowid", (alert_id,)
        )
        return [int(r["user_id"]) for r in rows]

    # --- deliveries ------------------------------------------------------------------------
    async def due(self, limit: int = 50) -> list[Due]:
        rows = await self._ex.fetch_all(
            f"SELECT d.user_id, {', '.join('a.' + c for c in COLUMNS.split(', '))} FROM alert_deliveries d "
            "JOIN alerts a ON a.id = d.alert_id WHERE d.sent = 0 ORDER BY a.id, d.rowid LIMIT ?",
            (limit,),
        )
        return [Due(alert_of(r), int(r["user_id"])) for r in rows]

    async def sent(self, alert_id: int, user_id: int, message_id: int | None) -> None:
        await self._ex.execute(
            "UPDATE alert_deliveries SET sent = 1, message_id = ? WHERE alert_id = ? AND user_id = ?",
            (message_id, alert_id, user_id),
        )

    async def shown_for_order(self, shop_id: int, order_id: int) -> list[Shown]:
        """Every cancellation alert and reminder about this order that became a message."""
        rows = await self._ex.fetch_all(
            f"SELECT d.user_id, d.message_id, {', '.join('a.' + c for c in COLUMNS.split(', '))} "
            "FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id "
            "WHERE a.shop_id = ? AND a.order_id = ? AND a.kind IN (?, ?) AND d.message_id IS NOT NULL "
            "ORDER BY a.id, d.rowid",
            (shop_id, order_id, *CANCEL_KINDS),
        )
        return [Shown(alert_of(r), int(r["user_id"]), int(r["message_id"])) for r in rows]

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

    # --- who gets what ---------------------------------------------------------------------
    async def team_switches(self, shop_id: int, switch: Switch) -> list[tuple[int, Role, bool | None]]:
        """Each member of the shop, their role and their choice for `switch` (None: never chosen)."""
        rows = await self._ex.fetch_all(
            "SELECT m.user_id, m.role, s.enabled FROM memberships m LEFT JOIN alert_switches s "
            "ON s.user_id = m.user_id AND s.kind = ? WHERE m.shop_id = ? "
            "ORDER BY m.role = 'courier', m.created_at, m.user_id",
            (switch.value, shop_id),
        )
        return [
            (int(r["user_id"]), Role(r["role"]), None if r["enabled"] is None else bool(r["enabled"]))
            for r in rows
        ]

    async def last_courier(self, shop_id: int, order_id: int) -> int | None:
        """The courier of this shop who last acted on the order (sent its track code, a status...)."""
        row = await self._ex.fetch_one(
            "SELECT o.user_id FROM operations o JOIN memberships m ON m.user_id = o.user_id "
            "AND m.shop_id = o.shop_id WHERE o.shop_id = ? AND o.order_id = ? AND m.role = 'courier' "
            "ORDER BY o.id DESC LIMIT 1",
            (shop_id, order_id),
        )
        return int(row["user_id"]) if row else None

    async def switches(self, user_id: int) -> dict[Switch, bool]:
        rows = await self._ex.fetch_all(
            "SELECT kind, enabled FROM alert_switches WHERE user_id = ?", (user_id,)
        )
        return {Switch(r["kind"]): bool(r["enabled"]) for r in rows if r["kind"] in Switch._value2member_map_}

    async def set_switch(self, user_id: int, switch: Switch, enabled: bool) -> None:
        await self._ex.execute(
            "INSERT INTO alert_switches (user_id, kind, enabled) VALUES (?, ?, ?) "
            "ON CONFLICT(user_id, kind) DO UPDATE SET enabled = excluded.enabled",
            (user_id, switch.value, int(enabled)),
        )

    async def delete_settled_before(self, moment: dt.datetime) -> int:
        """Housekeeping: events older than `moment`, except cancellation requests still open."""
        return await self._ex.execute(
            "DELETE FROM alerts WHERE created_at < ? AND NOT (kind = ? AND answered_at IS NULL)",
            (timestamp(moment), AlertKind.CANCEL.value),
        )
