"""The DBS order of status steps the shop takes itself, one at a time (never skipping one):

    PROCESSING → DELIVERY → (PICKUP, only for an order to the shop's pickup point) → DELIVERED

A delivery on a day other than today carries that day (`realDeliveryDate`), never a future one.
"""

from __future__ import annotations

import datetime as dt

from bot.domain.market_data import BusinessOrder, OrderStatus

DELIVERED_DAYS_BACK = 3  # «Доставлен»: today or one of the 3 days before, as buttons


def is_pickup(order: BusinessOrder) -> bool:
    delivery = order.delivery
    return delivery is not None and (delivery.type == "PICKUP" or delivery.pickup is not None)


def next_step(order: BusinessOrder) -> OrderStatus | None:
    """The one step the order may take next, or None (it is done, cancelled, or not the shop's turn)."""
    return step_after(order.status, pickup=is_pickup(order))


def step_after(status: OrderStatus | str, *, pickup: bool) -> OrderStatus | None:
    """The step that follows `status` (the one just taken, for «Дальше» under its result), or None."""
    if status == OrderStatus.PROCESSING:
        return OrderStatus.DELIVERY
    if status == OrderStatus.DELIVERY:
        return OrderStatus.PICKUP if pickup else OrderStatus.DELIVERED
    if status == OrderStatus.PICKUP:
        return OrderStatus.DELIVERED
    return None


def delivered_days(today: dt.date) -> list[dt.date]:
    """The days a delivery can be reported for: today first, then back, never in the future."""
    return [today - dt.timedelta(days=n) for n in range(DELIVERED_DAYS_BACK + 1)]


def real_date(day: dt.date, today: dt.date) -> dt.date | None:
    """What `realDeliveryDate` carries: nothing for today (the Market takes the day of the request).
    Raises ValueError for a future day."""
    if day > today:
        raise ValueError("a delivery cannot be in the future")
    return None if day == today else day


GROUPS = ("overdue", "today", "tomorrow", "later")


def day_group(day: dt.date | None, today: dt.date) -> str:
    """Where an active order stands by its delivery day: overdue, today, tomorrow or later."""
    if day is None or day > today + dt.timedelta(days=1):
        return "later"
    if day < today:
        return "overdue"
    return "today" if day == today else "tomorrow"
