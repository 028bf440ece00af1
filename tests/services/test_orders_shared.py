"""The shop's pick list is read once for everyone who asks at the same moment: 30 couriers opening /track
in the same second make one getBusinessOrders read, its result shared for a few seconds; a write to the
shop's orders drops it, a failed read fails every waiter and is not kept, and a waiter that stops
waiting (its update cancelled) does not stop the read for the others."""

from __future__ import annotations

import asyncio

import pytest

from bot.domain.market_data import OrderStatus
from bot.market.client import MarketClient
from bot.market.errors import MarketError
from bot.services.access import Access, AccessService
from bot.services.delivery_services import DeliveryServices
from bot.services.orders import OrdersService
from storage.db import Database
from storage.secrets import SecretBox
from tests.conftest import add_courier, seed_shop
from tests.fakes.market import FakeMarket

OWNER = 10
COURIERS = tuple(range(900, 930))
LISTED = (OrderStatus.PROCESSING, OrderStatus.DELIVERY)


@pytest.fixture
def orders(db: Database, box: SecretBox, client: MarketClient) -> OrdersService:
    return OrdersService(db, box, client, DeliveryServices(client, db))


@pytest.fixture
async def couriers(db: Database, box: SecretBox, market: FakeMarket) -> list[Access]:
    """Couriers of one shop (5; seeding each costs, the burst adds the rest), whose Market answers in
    50 ms (reads overlap, as in a busy second)."""
    market.add_order(1001, 41, "PROCESSING")
    market.add_order(1001, 42, "DELIVERY")
    market.latency = 0.05
    return await accesses(db, box, await seed_shop(db, box, OWNER, couriers=COURIERS[:5]), COURIERS[:5])


async def accesses(db: Database, box: SecretBox, shop_id: int, couriers: tuple[int, ...]) -> list[Access]:
    service = AccessService(db, box)
    found = [await service.to(courier, shop_id) for courier in couriers]
    return [a for a in found if a is not None]


def reads(market: FakeMarket) -> int:
    return len(market.calls("getBusinessOrders"))


async def until_read(market: FakeMarket) -> None:
    """Until the Market has the list read in flight."""
    async with asyncio.timeout(5):
        while reads(market) == 0:
            await asyncio.sleep(0.005)


async def test_thirty_couriers_at_once_make_one_read_and_each_can_take_from_it(
    orders: OrdersService, couriers: list[Access], market: FakeMarket, db: Database, box: SecretBox
) -> None:
    for user_id in COURIERS[5:]:
        await add_courier(db, box, couriers[0].shop_id, user_id)
    couriers += await accesses(db, box, couriers[0].shop_id, COURIERS[5:])
    assert len(couriers) == 30
    lists = await asyncio.gather(*(orders.pickable(c, LISTED) for c in couriers))
    assert all([o.order_id for o in listed] == [41, 42] for listed in lists)
    assert reads(market) == 1
    for courier in couriers:  # each one's own list: a tap on it asks the Market nothing
        assert (await orders.find(courier, 42)).order_id == 42
    assert reads(market) == 1


async def test_after_a_write_the_next_list_is_read_from_the_market(
    orders: OrdersService, couriers: list[Access], market: FakeMarket
) -> None:
    first, second = couriers[:2]
    await orders.pickable(first, LISTED)
    await orders.pickable(second, LISTED)
    assert reads(market) == 1, "shared right after"
    market.orders[(1001, 41)]["status"] = "DELIVERED"  # the write landed
    orders.forget(first.shop_id, 41)
    assert [o.order_id for o in await orders.pickable(second, LISTED)] == [42]
    assert reads(market) == 2


async def test_other_statuses_are_a_read_of_their_own(
    orders: OrdersService, couriers: list[Access], market: FakeMarket
) -> None:
    listed, only = await asyncio.gather(
        orders.pickable(couriers[0], LISTED), orders.pickable(couriers[1], [OrderStatus.PROCESSING])
    )
    assert [o.order_id for o in listed] == [41, 42] and [o.order_id for o in only] == [41]
    assert reads(market) == 2


async def test_a_failed_read_fails_every_waiter_and_is_not_kept(
    orders: OrdersService, couriers: list[Access], market: FakeMarket
) -> None:
    market.hold("getBusinessOrders", status=403, code="FORBIDDEN", message="Access denied")
    waiting = [asyncio.create_task(orders.pickable(c, LISTED)) for c in couriers[:5]]
    await until_read(market)
    await market.release()
    failures = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(f, MarketError) and f.failure.code == "FORBIDDEN" for f in failures), failures
    assert reads(market) == 1
    assert [o.order_id for o in await orders.pickable(couriers[0], LISTED)] == [41, 42]
    assert reads(market) == 2, "the failure was not kept"


async def test_a_waiter_cancelled_does_not_cancel_the_read_for_the_others(
    orders: OrdersService, couriers: list[Access], market: FakeMarket
) -> None:
    market.hold("getBusinessOrders", status=200)
    waiting = [asyncio.create_task(orders.pickable(c, LISTED)) for c in couriers[:3]]
    await until_read(market)
    waiting[0].cancel()  # the first asker's update, cancelled at shutdown
    await market.release()
    gone, *others = await asyncio.gather(*waiting, return_exceptions=True)
    assert isinstance(gone, asyncio.CancelledError)
    assert [[o.order_id for o in listed] for listed in others] == [[41, 42], [41, 42]]  # type: ignore[union-attr]
    assert reads(market) == 1


async def test_a_list_read_while_a_write_lands_is_not_shared(
    orders: OrdersService, couriers: list[Access], market: FakeMarket, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = couriers[:2]
    real = orders._market.business_orders

    async def read_then_write(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        async for order in real(*args, **kwargs):  # type: ignore[arg-type]
            market.orders[(1001, 41)]["status"] = "DELIVERED"  # the write lands meanwhile
            orders.forget(first.shop_id, 41)
            yield order

    monkeypatch.setattr(orders._market, "business_orders", read_then_write)
    assert [o.order_id for o in await orders.pickable(first, LISTED)] == [41, 42], "the list as read"
    monkeypatch.undo()
    assert [o.order_id for o in await orders.pickable(second, LISTED)] == [42], "not the stale list"
    assert reads(market) == 2
