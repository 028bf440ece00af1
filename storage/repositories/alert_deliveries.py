"""The `alert_deliveries` table: who gets each alert, whether it was sent, and the message it became."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.alerts import CANCEL_KINDS, Alert
from storage.db import Executor
from storage.repositories.alerts import COLUMNS, alert_of

ALERT_COLUMNS = ", ".join("a." + c for c in COLUMNS.split(", "))


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


class AlertDeliveriesRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    async def add(self, alert_id: int, recipients: Iterable[int]) -> None:
        """The users a just-recorded alert goes to (each once, in this order)."""
        await self._ex.executemany(
            "INSERT INTO alert_deliveries (alert_id, user_id) VALUES (?, ?)",
            [(alert_id, user) for user in dict.fromkeys(recipients)],
        )

    async def recipients(self, alert_id: int) -> list[int]:
        rows = await self._ex.fetch_all(
            "SELECT user_id FROM alert_deliveries WHERE alert_id = ? ORDER BY rowid", (alert_id,)
        )
        return [int(r["user_id"]) for r in rows]

    async def due(self, limit: int = 50) -> list[Due]:
        rows = await self._ex.fetch_all(
            f"SELECT d.user_id, {ALERT_COLUMNS} FROM alert_deliveries d "
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
            f"SELECT d.user_id, d.message_id, {ALERT_COLUMNS} "
            "FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id "
            "WHERE a.shop_id = ? AND a.order_id = ? AND a.kind IN (?, ?) AND d.message_id IS NOT NULL "
            "ORDER BY a.id, d.rowid",
            (shop_id, order_id, *(kind.value for kind in CANCEL_KINDS)),
        )
        return [Shown(alert_of(r), int(r["user_id"]), int(r["message_id"])) for r in rows]
