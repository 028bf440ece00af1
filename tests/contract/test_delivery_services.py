"""The delivery-services reference is cached in SQLite and fetched at most once a day."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.market import MarketApiError, MarketClient
from bot.services.delivery_services import DeliveryServices
from storage.db import Database
from tests.conftest import OWNER_KEY
from tests.fakes.market import FakeMarket


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


async def test_fetched_once_a_day(market: FakeMarket, client: MarketClient, db: Database) -> None:
    clock = Clock()
    catalog = DeliveryServices(client, db, clock=clock)
    first = await catalog.all(OWNER_KEY)
    assert {s.name for s in first} >= {"СДЭК", "Boxberry"}
    clock.now += dt.timedelta(hours=23)
    market.delivery_services.append({"id": 999, "name": "Новая служба"})
    assert len(await catalog.all(OWNER_KEY)) == len(first)
    assert len(market.calls("getDeliveryServices")) == 1
    clock.now += dt.timedelta(hours=2)
    refreshed = await catalog.all(OWNER_KEY)
    assert 999 in {s.id for s in refreshed}
    assert len(market.calls("getDeliveryServices")) == 2


async def test_cache_survives_a_restart(market: FakeMarket, client: MarketClient, db: Database) -> None:
    clock = Clock()
    await DeliveryServices(client, db, clock=clock).all(OWNER_KEY)
    again = DeliveryServices(client, db, clock=clock)
    assert len(await again.all(OWNER_KEY)) == len(market.delivery_services)
    assert len(market.calls("getDeliveryServices")) == 1


async def test_stale_copy_used_when_refresh_fails(
    market: FakeMarket, client: MarketClient, db: Database
) -> None:
    clock = Clock()
    catalog = DeliveryServices(client, db, clock=clock)
    await catalog.all(OWNER_KEY)
    clock.now += dt.timedelta(days=2)
    market.fail("getDeliveryServices", times=10, status=500)
    assert len(await catalog.all(OWNER_KEY)) == len(market.delivery_services)


async def test_no_copy_and_no_market_raises(market: FakeMarket, client: MarketClient, db: Database) -> None:
    market.fail("getDeliveryServices", times=10, status=500)
    with pytest.raises(MarketApiError):
        await DeliveryServices(client, db).all(OWNER_KEY)
