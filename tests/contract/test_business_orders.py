"""getBusinessOrders, the replacement of getOrder/getOrders (degraded from 2027-01-18): requests valid
against the refreshed spec, the 30-day window, token paging, the new order shape."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.market_data import OrderStatus
from bot.market.client import MarketClient
from bot.market.errors import BadRequestError
from tests.conftest import OWNER_KEY
from tests.fakes.market import FakeMarket

BUSINESS = 777


async def test_one_order_by_id_in_the_new_shape(market: FakeMarket, client: MarketClient) -> None:
    market.add_order(
        1001,
        42,
        "DELIVERY",
        items=[("Чайник", 2)],
        tracks=[{"trackCode": "CDEK-1", "deliveryServiceId": 51}],
        delivery_from=dt.date(2026, 12, 1),
        created=market.today - dt.timedelta(days=3),
    )
    market.orders[(1001, 42)]["cancelRequested"] = True
    page = await client.get_business_orders(OWNER_KEY, BUSINESS, order_ids=[42], campaign_ids=[1001])
    [order] = page.orders
    assert (order.order_id, order.campaign_id, order.status) == (42, 1001, OrderStatus.DELIVERY)
    assert order.delivery is not None and order.delivery.dates is not None
    assert order.delivery.dates.from_date == dt.date(2026, 12, 1), "YYYY-MM-DD, not DD-MM-YYYY"
    assert order.delivery.tracks is not None and order.delivery.tracks[0].track_code == "CDEK-1"
    assert order.delivery.courier is not None and order.delivery.courier.address is not None
    assert order.cancel_requested and order.can_take_track and order.can_move_date
    assert [(i.offer_name, i.count) for i in order.items] == [("Чайник", 2)]
    [call] = market.calls("getBusinessOrders")
    assert call.path == "/v1/businesses/777/orders" and call.body == {"orderIds": [42], "campaignIds": [1001]}


async def test_without_dates_only_the_last_30_days_are_searched(
    market: FakeMarket, client: MarketClient
) -> None:
    old = market.today - dt.timedelta(days=45)
    market.add_order(1001, 7, created=old)
    assert (await client.get_business_orders(OWNER_KEY, BUSINESS, order_ids=[7])).orders == []
    window = await client.get_business_orders(
        OWNER_KEY,
        BUSINESS,
        order_ids=[7],
        created_from=old - dt.timedelta(days=10),
        created_to=old + dt.timedelta(days=20),
    )
    assert [o.order_id for o in window.orders] == [7]
    assert market.calls("getBusinessOrders")[-1].body["dates"] == {
        "creationDateFrom": (old - dt.timedelta(days=10)).isoformat(),
        "creationDateTo": (old + dt.timedelta(days=20)).isoformat(),
    }


async def test_pages_follow_the_token(market: FakeMarket, client: MarketClient) -> None:
    market.check_responses = False  # 120 orders; the request checks still run
    for n in range(120):
        market.add_order(1001, 1000 + n, created=market.today)
    seen, token = [], None
    for _ in range(5):
        page = await client.get_business_orders(
            OWNER_KEY, BUSINESS, statuses=[OrderStatus.PROCESSING], page_token=token
        )
        seen += [o.order_id for o in page.orders]
        token = page.next_page_token
        if token is None:
            break
    assert seen == [1000 + n for n in range(120)]
    assert [c.query.get("limit") for c in market.calls("getBusinessOrders")] == [["50"]] * 3


async def test_the_paginator_stops_at_its_cap_and_goes_on_from_the_token_it_gives(
    market: FakeMarket, client: MarketClient
) -> None:
    market.check_responses = False  # 120 orders: three pages of 50; the request checks still run
    for n in range(120):
        market.add_order(1001, 1000 + n, created=market.today)
    first = client.business_order_pages(OWNER_KEY, BUSINESS, statuses=[OrderStatus.PROCESSING], max_pages=2)
    seen = [o.order_id async for page in first for o in page.items]
    assert (len(seen), first.read) == (100, 2) and first.next_token is not None, "cut at the cap"
    rest = client.business_order_pages(
        OWNER_KEY, BUSINESS, statuses=[OrderStatus.PROCESSING], page_token=first.next_token, max_pages=2
    )
    seen += [o.order_id async for page in rest for o in page.items]
    assert (rest.read, rest.next_token) == (1, None), "the last page names no next one"
    assert seen == [1000 + n for n in range(120)], "every order once, in order"
    calls = market.calls("getBusinessOrders")
    assert [c.query.get("pageToken") for c in calls] == [None, ["50"], ["100"]]
    assert all(c.body == {"statuses": ["PROCESSING"]} for c in calls), "the same query on every page"


async def test_orders_one_by_one_read_every_page_and_no_page_before_it_is_needed(
    market: FakeMarket, client: MarketClient
) -> None:
    market.check_responses = False
    for n in range(120):
        market.add_order(1001, 1000 + n, created=market.today)
    every = [o.order_id async for o in client.business_orders(OWNER_KEY, BUSINESS, campaign_ids=[1001])]
    assert every == [1000 + n for n in range(120)]
    assert len(market.calls("getBusinessOrders")) == 3
    market.received.clear()
    async for order in client.business_orders(OWNER_KEY, BUSINESS, campaign_ids=[1001]):
        if order.order_id == 1050:  # the first order of the second page
            break
    assert len(market.calls("getBusinessOrders")) == 2, "the third page is never asked for"


async def test_an_update_window_and_a_page_token_it_never_gave(
    market: FakeMarket, client: MarketClient
) -> None:
    at = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    for n, minutes in ((1, -1), (2, 0), (3, 59), (4, 60)):
        market.add_order(1001, n)
        market.touch(1001, n, at + dt.timedelta(minutes=minutes))
    page = await client.get_business_orders(
        OWNER_KEY, BUSINESS, updated_from=at, updated_to=at + dt.timedelta(hours=1)
    )
    assert [o.order_id for o in page.orders] == [2, 3], "from included, to excluded"
    assert market.calls()[-1].body["dates"] == {
        "updateDateFrom": "2026-12-01T09:00:00+00:00",
        "updateDateTo": "2026-12-01T10:00:00+00:00",
    }
    with pytest.raises(BadRequestError):
        await client.get_business_orders(OWNER_KEY, BUSINESS, page_token="expired")
    assert market.spec_errors == []


async def test_an_unknown_status_and_a_busy_market_break_nothing(
    market: FakeMarket, client: MarketClient
) -> None:
    market.check_responses = False  # the Market may answer a status outside the spec's enum
    market.add_order(1001, 42, created=market.today)
    market.orders[(1001, 42)]["status"] = "SOMETHING_NEW"
    market.fail("getBusinessOrders", status=503)
    [order] = (await client.get_business_orders(OWNER_KEY, BUSINESS, order_ids=[42])).orders
    assert order.status == "SOMETHING_NEW" and not order.can_take_track
    assert [c.status for c in market.calls("getBusinessOrders")] == [503, 200], (
        "a read: retried though a POST"
    )
