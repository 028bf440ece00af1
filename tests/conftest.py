from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.domain.records import Role
from bot.market.client import MarketClient
from bot.market.transport import MarketTransport
from bot.services.shops import connect_shop
from storage.db import Database
from storage.repositories import Repos
from storage.secrets import SecretBox
from tests.fakes.market import FakeMarket

OWNER_KEY = "ACMA:owner-key-0123456789abcdef0123456789abcdef:deadbeef"


def pytest_configure(config: pytest.Config) -> None:
    """Bytecode caches are written, whatever the environment says (this machine's sets
    PYTHONDONTWRITEBYTECODE): without them every xdist worker compiles and assert-rewrites each test
    module anew, and each bot the e2e tests start compiles bot/ (~3.5 s of CPU a worker, on a suite
    bound by its 2 cores). They go to __pycache__ folders, which git ignores; the workers and the bots
    inherit the environment without the variable."""
    sys.dont_write_bytecode = False
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than the cores. Much of a test is waiting (on the fake servers'
    sockets, a bot process, a worker process), which another worker's test fills: on 2 cores, 3
    workers take the suite from ~54 s to ~46 s."""
    return (os.cpu_count() or 1) + 1


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


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with every migration applied, made once per test process: each test starts from a
    copy (applying the migrations anew took ~30 ms a test)."""
    path = tmp_path_factory.mktemp("template") / "bot.sqlite3"

    async def migrate() -> None:
        await (await Database.open(path)).close()  # closing checkpoints the WAL into the file

    asyncio.run(migrate())
    return path


@pytest.fixture
async def db(tmp_path: Path, migrated: Path) -> AsyncIterator[Database]:
    path = tmp_path / "bot.sqlite3"
    shutil.copyfile(migrated, path)
    path.chmod(0o600)
    database = await Database.open(path)
    yield database
    await database.close()


async def seed_shop(
    db: Database,
    box: SecretBox,
    owner: int,
    *,
    campaign: int = 1001,
    domain: str = "dbs-shop.example",
    couriers: tuple[int, ...] = (),
) -> int:
    """A shop connected by `owner` with OWNER_KEY (as /settings would), and couriers who work in it."""
    shop = await connect_shop(
        db,
        box,
        owner_id=owner,
        campaign_id=campaign,
        api_key=OWNER_KEY,
        domain=domain,
        business_id=777,  # as /settings stores it from the campaign
        placement_type="DBS",
    )
    for courier in couriers:
        await add_courier(db, box, shop.id, courier)
    return shop.id


async def add_courier(db: Database, box: SecretBox, shop_id: int, user_id: int) -> None:
    """The user is a courier of the shop, and it is their active shop (as an invite would leave it)."""
    async with db.transaction() as tx:
        repos = Repos.on(tx, box)
        await repos.users.ensure(user_id)
        await repos.memberships.put(user_id, shop_id, Role.COURIER)
        await repos.preferences.set_active_shop(user_id, shop_id)
