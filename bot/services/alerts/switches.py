"""Who gets which alert: each user's switches in /alerts (their choice, else their role's default), and
the recipients of an event the poller records."""

from __future__ import annotations

from bot.domain.alerts import Switch, is_on
from bot.domain.records import Role
from storage.db import Database, Executor
from storage.repositories import AlertSwitchesRepo, OperationsRepo, UsersRepo


async def recipients(ex: Executor, shop_id: int, switch: Switch) -> list[int]:
    """The shop's members who have `switch` on, owners first."""
    team = await AlertSwitchesRepo(ex).team_switches(shop_id, switch)
    return [user for user, role, chosen in team if is_on(switch, role, chosen)]


async def request_recipients(ex: Executor, shop_id: int, order_id: int) -> list[int]:
    """Who is told of a cancellation request (see `order_recipients`)."""
    return await order_recipients(ex, shop_id, order_id, Switch.CANCEL)


async def order_recipients(ex: Executor, shop_id: int, order_id: int | None, switch: Switch) -> list[int]:
    """Who is told of something about one order (a cancellation request, a buyer's message): the
    owners, and the courier who last acted on the order (not every courier of the shop), each only
    with `switch` on. Without an order (a buyer's question about a product): the owners."""
    team = await AlertSwitchesRepo(ex).team_switches(shop_id, switch)
    on = {user for user, role, chosen in team if is_on(switch, role, chosen)}
    owners = [user for user, role, _ in team if role is Role.OWNER and user in on]
    courier = await OperationsRepo(ex).last_courier(shop_id, order_id) if order_id else None
    return [*owners, *([courier] if courier in on else [])]


class AlertSwitches:
    """/alerts: a user's switches, and turning one over."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def switches(self, user_id: int, role: Role) -> dict[Switch, bool]:
        chosen = await AlertSwitchesRepo(self._db).switches(user_id)
        return {switch: is_on(switch, role, chosen.get(switch)) for switch in Switch}

    async def toggle(self, user_id: int, role: Role, switch: Switch) -> dict[Switch, bool]:
        current = await self.switches(user_id, role)
        await UsersRepo(self._db).ensure(user_id)
        await AlertSwitchesRepo(self._db).set_switch(user_id, switch, not current[switch])
        return await self.switches(user_id, role)
