"""The writer: each operation kind reaches the Market as its own request (valid against the spec, the
fake Market checks), and once it landed, the order read back shows it (`applied`), which is what makes
a resend safe."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.domain.clock import moscow_today
from bot.domain.market_data import DeliveryDateReason, OrderStatus
from bot.domain.operations import AnyAction, CancellationAnswer, DeliveryDate, StatusStep, TrackCode
from bot.market.client import MarketClient
from bot.market.writer import send
from tests.conftest import OWNER_KEY
from tests.fakes.market import FakeMarket

ORDER = 42
BASE = f"/v2/campaigns/1001/orders/{ORDER}"
IN_3_DAYS = moscow_today() + dt.timedelta(days=3)
YESTERDAY = moscow_today() - dt.timedelta(days=1)

CASES: list[tuple[str, bool, AnyAction, str, str, str, dict[str, Any]]] = [
    # (the order's status, a cancellation requested?, the kind, route, method, path, body)
    (
        "PROCESSING",
        False,
        TrackCode(track_code="CDEK-77", delivery_service_id=51),
        "setOrderDeliveryTrackCode",
        "POST",
        f"{BASE}/delivery/track",
        {"trackCode": "CDEK-77", "deliveryServiceId": 51},
    ),
    (
        "PROCESSING",
        False,
        DeliveryDate(to_date=IN_3_DAYS, reason=DeliveryDateReason.USER_MOVED),
        "setOrderDeliveryDate",
        "PUT",
        f"{BASE}/delivery/date",
        {"dates": {"toDate": IN_3_DAYS.isoformat()}, "reason": "USER_MOVED_DELIVERY_DATES"},
    ),
    (
        "DELIVERY",
        False,
        StatusStep(status=OrderStatus.DELIVERED, real_delivery_date=YESTERDAY),
        "updateOrderStatus",
        "PUT",
        f"{BASE}/status",
        {
            "order": {
                "status": "DELIVERED",
                "delivery": {"dates": {"realDeliveryDate": YESTERDAY.isoformat()}},
            }
        },
    ),
    (
        "PROCESSING",
        False,
        StatusStep(status=OrderStatus.CANCELLED),
        "updateOrderStatus",
        "PUT",
        f"{BASE}/status",
        {"order": {"status": "CANCELLED", "substatus": "SHOP_FAILED"}},
    ),
    (
        "DELIVERY",
        True,
        CancellationAnswer.of(False, "ORDER_IN_DELIVERY"),
        "acceptOrderCancellation",
        "PUT",
        f"{BASE}/cancellation/accept",
        {"accepted": False, "reason": "ORDER_IN_DELIVERY"},
    ),
    (
        "DELIVERY",
        True,
        CancellationAnswer.of(True, None),
        "acceptOrderCancellation",
        "PUT",
        f"{BASE}/cancellation/accept",
        {"accepted": True},
    ),
]


@pytest.mark.parametrize(
    ("status", "cancel_requested", "action", "route", "method", "path", "body"),
    CASES,
    ids=[f"{c[2].kind}-{i}" for i, c in enumerate(CASES)],
)
async def test_each_kind_is_sent_as_its_request_and_is_seen_on_the_order_after(
    market: FakeMarket,
    client: MarketClient,
    status: str,
    cancel_requested: bool,
    action: AnyAction,
    route: str,
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    market.add_order(1001, ORDER, status)
    market.orders[(1001, ORDER)]["cancelRequested"] = cancel_requested

    async def read_back() -> bool:
        [order] = [o async for o in client.business_orders(OWNER_KEY, 777, order_ids=[ORDER])]
        return action.applied(order)

    assert not await read_back(), "not there before it is sent"
    await send(client, OWNER_KEY, 1001, ORDER, action)
    [write] = [c for c in market.calls() if c.route != "getBusinessOrders"]
    assert (write.route, write.method, write.path, write.body) == (route, method, path, body)
    assert write.status == 200 and market.spec_errors == []
    assert await read_back(), "the order read back shows it landed"
