"""The delivery-services reference is cached in SQLite and fetched at most once a day."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest

from bot.market.client import MarketClient
from bot.market.errors import MarketApiError
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
    stale = await catalog.all(OWNER_KEY)
    assert 999 not in {s.id for s in stale}, "the stale copy at once; the refresh runs meanwhile"
    async with asyncio.timeout(5):
        while 999 not in {s.id for s in await catalog.all(OWNER_KEY)}:
            await asyncio.sleep(0.01)
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


async def test_a_slow_market_keeps_nobody_waiting_when_a_copy_exists(
    market: FakeMarket, client: MarketClient, db: Database
) -> None:
    clock = Clock()
    catalog = DeliveryServices(client, db, clock=clock)
    await catalog.all(OWNER_KEY)
    clock.now += dt.timedelta(days=2)
    market.fail("getDeliveryServices", delay=1.5)
    started = time.monotonic()
    lists = await asyncio.gather(*(catalog.all(OWNER_KEY) for _ in range(10)))
    assert time.monotonic() - started < 0.5
    assert all(len(found) == len(market.delivery_services) for found in lists)
    assert len(market.calls("getDeliveryServices")) == 2, "one refresh for everyone, in the background"


async def test_without_a_copy_one_shared_call_and_a_failure_is_remembered(
    market: FakeMarket, client: MarketClient, db: Database
) -> None:
    catalog = DeliveryServices(client, db)
    market.fail("getDeliveryServices", times=10, status=500)
    results = await asyncio.gather(*(catalog.all_or_none(OWNER_KEY) for _ in range(5)))
    assert results == [[]] * 5
    calls = len(market.calls("getDeliveryServices"))
    assert calls == 4, "one fetch shared by all five (with the transport's retries of a GET)"
    assert await catalog.all_or_none(OWNER_KEY) == []
    assert len(market.calls("getDeliveryServices")) == calls, "a failure is remembered for a minute"
