from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.market import MarketClient, MarketTransport
from storage.db import Database
from storage.secrets import SecretBox
from tests.fakes.market import FakeMarket

OWNER_KEY = "ACMA:owner-key-0123456789abcdef0123456789abcdef:deadbeef"


@pytest.fixture
async def market() -> AsyncIterator[FakeMarket]:
    fake = FakeMarket()
    fake.add_campaign(1001, "dbs-shop.example", placement="DBS")
    fake.add_campaign(1002, "fbs-shop.example", placement="FBS")
    fake.add_key(OWNER_KEY, {1001, 1002})
    await fake.start()
    yield fake
    await fake.stop()
    assert fake.spec_errors == [], "requests or responses outside the official spec"


@pytest.fixture
async def transport(market: FakeMarket) -> AsyncIterator[MarketTransport]:
    async def no_sleep(_: float) -> None:
        return None

    t = MarketTransport(market.url, timeout=2.0, sleep=no_sleep)
    yield t
    await t.aclose()


@pytest.fixture
def client(transport: MarketTransport) -> MarketClient:
    return MarketClient(transport)


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(Fernet.generate_key())


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "bot.sqlite3")
    yield database
    await database.close()
