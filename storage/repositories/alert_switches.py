"""The `alert_switches` table: what each user switched on or off in /alerts (no row: their role's
default)."""

from __future__ import annotations

from bot.domain.alerts import Switch
from bot.domain.records import Role
from storage.db import Executor


class AlertSwitchesRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

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
