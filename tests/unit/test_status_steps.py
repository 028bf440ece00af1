"""The DBS order of status steps: one at a time, a pickup step only for pickup orders."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.market_data import BusinessOrder, OrderStatus
from bot.domain.operations import StatusStep
from bot.domain.status_steps import delivered_days, next_step, real_date

S = OrderStatus


def order(status: str, kind: str = "DELIVERY") -> BusinessOrder:
    return BusinessOrder.model_validate(
        {"orderId": 1, "campaignId": 1, "status": status, "delivery": {"type": kind}}
    )


@pytest.mark.parametrize(
    ("status", "kind", "step"),
    [
        ("PROCESSING", "DELIVERY", S.DELIVERY),
        ("DELIVERY", "DELIVERY", S.DELIVERED),
        ("DELIVERY", "PICKUP", S.PICKUP),
        ("PICKUP", "PICKUP", S.DELIVERED),
        ("DELIVERED", "DELIVERY", None),
        ("CANCELLED", "DELIVERY", None),
        ("SOMETHING_NEW", "DELIVERY", None),
    ],
)
def test_the_next_step_never_skips_one(status: str, kind: str, step: OrderStatus | None) -> None:
    assert next_step(order(status, kind)) == step


@pytest.mark.parametrize(
    ("step", "now", "applied"),
    [
        (S.DELIVERY, "PROCESSING", False),
        (S.DELIVERY, "DELIVERY", True),
        (S.DELIVERY, "DELIVERED", True),  # a later step can only have followed this one
        (S.DELIVERED, "DELIVERY", False),
        (S.CANCELLED, "DELIVERY", False),
        (S.CANCELLED, "CANCELLED", True),
        (S.DELIVERED, "CANCELLED", False),
    ],
)
def test_a_step_is_applied_when_the_order_is_at_it_or_past_it(
    step: OrderStatus, now: str, applied: bool
) -> None:
    assert StatusStep(status=step).applied(order(now)) is applied


def test_a_delivery_day_is_today_or_before_never_after() -> None:
    today = dt.date(2026, 12, 1)
    assert delivered_days(today) == [today - dt.timedelta(days=n) for n in range(4)]
    assert real_date(today, today) is None
    assert real_date(dt.date(2026, 11, 30), today) == dt.date(2026, 11, 30)
    with pytest.raises(ValueError, match="future"):
        real_date(dt.date(2026, 12, 2), today)
