"""The orders listed to a user are kept for a tap on the list, never past a write to one of them: after
each kind of write the order is read again, or taken from the read-back that found the write landed."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.clock import moscow_today
from bot.domain.market_data import DeliveryDateReason, OrderStatus
from bot.domain.operations import AnyAction, CancellationAnswer, DeliveryDate, StatusStep, TrackCode
from bot.market.client import MarketClient
from bot.services.access import Access, AccessService
from bot.services.delivery_services import DeliveryServices
from bot.services.operations import Operations
from bot.services.orders import OrdersService
from storage.db import Database
from storage.secrets import SecretBox
from tests.conftest import seed_shop
from tests.fakes.market import FakeMarket
from tests.services.conftest import RecordedNotices

OWNER = 10
LISTED = (OrderStatus.PROCESSING, OrderStatus.DELIVERY)
MOVED = moscow_today() + dt.timedelta(days=5)


@pytest.fixture
def orders(db: Database, box: SecretBox, client: MarketClient) -> OrdersService:
    return OrdersService(db, box, client, DeliveryServices(client, db))


@pytest.fixture
def operations(
    db: Database, box: SecretBox, client: MarketClient, notices: RecordedNotices, orders: OrdersService
) -> Operations:
    return Operations(db, box, client, notices, orders)


@pytest.fixture
async def access(db: Database, box: SecretBox) -> Access:
    found = await AccessService(db, box).to(OWNER, await seed_shop(db, box, OWNER))
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("PROCESSING", StatusStep(status=OrderStatus.DELIVERY)),
        ("PROCESSING", StatusStep(status=OrderStatus.CANCELLED)),
        ("PROCESSING", TrackCode(track_code="CD-1", delivery_service_id=51)),
        ("PROCESSING", DeliveryDate(to_date=MOVED, reason=DeliveryDateReason.PARTNER_MOVED)),
        ("DELIVERY", CancellationAnswer.of(False, "ORDER_IN_DELIVERY")),
        ("DELIVERY", CancellationAnswer.of(True, None)),
    ],
    ids=["step", "cancel", "track", "date", "answer-refused", "answer-accepted"],
)
async def test_after_a_write_the_order_is_found_as_the_market_has_it(
    orders: OrdersService,
    operations: Operations,
    access: Access,
    market: FakeMarket,
    status: str,
    action: AnyAction,
) -> None:
    market.add_order(1001, 42, status)
    market.orders[(1001, 42)]["cancelRequested"] = status == "DELIVERY"
    [listed] = await orders.pickable(access, LISTED)
    assert not action.applied(listed)
    outcome = await operations.confirm(access, 42, action, "n")
    assert outcome.ok, outcome.failure
    assert action.applied(await orders.find(access, 42)), "not the copy listed before the write"


async def test_a_read_back_that_found_the_write_landed_is_what_is_found_next(
    orders: OrdersService, operations: Operations, access: Access, market: FakeMarket
) -> None:
    market.add_order(1001, 42, "PROCESSING")
    await orders.pickable(access, LISTED)
    market.fail("updateOrderStatus", status=503, apply=True, message="Service unavailable")
    step = StatusStep(status=OrderStatus.DELIVERY)
    first = await operations.confirm(access, 42, step, "n")
    assert first.pending, "the answer was lost; the step landed"
    again = await operations.run(first.operation)
    assert again is not None and again.ok and len(market.calls("updateOrderStatus")) == 1
    reads = len(market.calls("getBusinessOrders"))
    found = await orders.find(access, 42)
    assert found.status is OrderStatus.DELIVERY
    assert len(market.calls("getBusinessOrders")) == reads, "the read-back's copy, without another call"


async def test_a_refused_write_drops_the_listed_copy_too(
    orders: OrdersService, operations: Operations, access: Access, market: FakeMarket
) -> None:
    """A 400 about the status means the copy was out of date: the next card must not repeat it."""
    market.add_order(1001, 42, "PROCESSING")
    await orders.pickable(access, LISTED)
    market.orders[(1001, 42)]["status"] = "DELIVERY"  # moved on in the Market's cabinet
    outcome = await operations.confirm(access, 42, StatusStep(status=OrderStatus.DELIVERY), "n")
    assert not outcome.ok
    assert (await orders.find(access, 42)).status is OrderStatus.DELIVERY


async def test_a_card_opened_from_outside_the_list_reads_the_order_again(
    orders: OrdersService, access: Access, market: FakeMarket
) -> None:
    market.add_order(1001, 42, "PROCESSING")
    await orders.pickable(access, LISTED)
    market.orders[(1001, 42)]["status"] = "DELIVERY"
    assert (await orders.find(access, 42)).status is OrderStatus.PROCESSING, "a tap on the list: its copy"
    orders.forget(access.shop_id, 42)  # opened from an alert, the digest or «Дальше»
    assert (await orders.find(access, 42)).status is OrderStatus.DELIVERY


async def test_a_list_read_while_a_write_lands_is_not_kept(
    orders: OrdersService, access: Access, market: FakeMarket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list read before a write and stored after it would show the order as it was: not kept."""
    market.add_order(1001, 70, "PROCESSING")
    real = orders._market.business_orders

    async def read_then_write(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        async for order in real(*args, **kwargs):  # type: ignore[arg-type]
            market.orders[(1001, 70)]["status"] = "DELIVERY"  # the write lands meanwhile
            orders.forget(access.shop_id, 70)
            yield order

    monkeypatch.setattr(orders._market, "business_orders", read_then_write)
    [listed] = await orders.pickable(access, [OrderStatus.PROCESSING])
    assert listed.status is OrderStatus.PROCESSING, "the list as read"
    monkeypatch.undo()
    assert (await orders.find(access, 70)).status is OrderStatus.DELIVERY, "not the list's stale copy"
