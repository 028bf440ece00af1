"""Repositories: what the database holds after each call; keys never in clear."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.domain.market_data import DeliveryDateReason
from bot.domain.operations import DeliveryDate, TrackCode
from bot.domain.records import DeliveryServiceRef, OperationStatus, Role
from bot.services.shops import connect_shop
from storage.db import Database
from storage.repositories import (
    DeliveryServicesRepo,
    MembershipsRepo,
    OperationsRepo,
    PreferencesRepo,
    RecentServicesRepo,
    ShopsRepo,
    UsersRepo,
)
from storage.secrets import SecretBox, SecretDecryptError

API_KEY = "ACMA:Zq1secret-api-key-value-that-must-never-hit-disk:0042"
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
TRACK = TrackCode(track_code="T-1", delivery_service_id=51)


async def seed(db: Database, box: SecretBox, owner: int = 10, campaign: int = 1001) -> int:
    shop = await connect_shop(
        db,
        box,
        owner_id=owner,
        campaign_id=campaign,
        api_key=API_KEY,
        domain="dbs-shop.example",
        business_id=777,
        business_name="Бизнес",
        placement_type="DBS",
    )
    return shop.id


async def add_member(db: Database, user_id: int, shop_id: int, role: Role) -> None:
    await UsersRepo(db).ensure(user_id)
    await MembershipsRepo(db).put(user_id, shop_id, role)


async def test_shop_is_stored_with_its_key_encrypted(db: Database, box: SecretBox) -> None:
    shop_id = await seed(db, box)
    shops = ShopsRepo(db, box)
    shop = await shops.get(shop_id)
    assert shop is not None
    assert (shop.campaign_id, shop.title, shop.owner_id, shop.placement_type, shop.business_id) == (
        1001,
        "dbs-shop.example",
        10,
        "DBS",
        777,
    )
    assert await shops.api_key(shop_id) == API_KEY
    row = await db.fetch_one("SELECT api_key_enc FROM shops WHERE id = ?", (shop_id,))
    assert row is not None and API_KEY.encode() not in row["api_key_enc"]


async def test_replace_key_and_delete_shop_cascades(db: Database, box: SecretBox) -> None:
    shop_id = await seed(db, box)
    shops = ShopsRepo(db, box)
    await connect_shop(db, box, owner_id=10, campaign_id=1001, api_key="ACMA:rotated")
    assert await shops.api_key(shop_id) == "ACMA:rotated"
    await add_member(db, 30, shop_id, Role.COURIER)
    await OperationsRepo(db).create(user_id=30, shop_id=shop_id, order_id=1, action=TRACK, now=NOW)
    assert await shops.delete(shop_id)
    assert await shops.get(shop_id) is None
    assert await MembershipsRepo(db).shops_of(30) == []
    assert await PreferencesRepo(db).active_shop_id(10) is None, "the active shop is forgotten with it"
    assert await db.fetch_one("SELECT id FROM operations") is None


async def test_memberships_per_user_and_per_shop(db: Database, box: SecretBox) -> None:
    shop_id = await seed(db, box)
    other_id = await seed(db, box, owner=11, campaign=2002)
    memberships = MembershipsRepo(db)
    await add_member(db, 30, shop_id, Role.COURIER)
    await add_member(db, 30, other_id, Role.COURIER)
    assert [m.shop.id for m in await memberships.shops_of(30)] == [shop_id, other_id]
    in_other = await memberships.of_user_in(30, other_id)
    assert in_other is not None and in_other.role is Role.COURIER and in_other.shop.id == other_id
    assert await memberships.remove(30, other_id)
    assert await memberships.of_user_in(30, other_id) is None
    assert await memberships.get(30, other_id) is None
    assert (await memberships.get(30, shop_id)) is not None
    assert [(m.user_id, m.role) for m in await memberships.team(shop_id)] == [
        (10, Role.OWNER),
        (30, Role.COURIER),
    ]


async def test_recent_services_newest_first(db: Database) -> None:
    await UsersRepo(db).ensure(7)
    recent = RecentServicesRepo(db)
    for service in (51, 106, 51, 139):
        await recent.remember(7, service)
    assert await recent.recent(7) == [139, 51, 106]
    assert await recent.recent(7, limit=1) == [139]


async def test_users_upsert_keeps_language(db: Database) -> None:
    users = UsersRepo(db)
    await users.upsert(5, "ru")
    await users.upsert(5, "en")
    user = await users.get(5)
    assert user is not None and user.language == "en"
    assert await users.get(6) is None


async def test_operations_lifecycle(db: Database, box: SecretBox) -> None:
    shop_id = await seed(db, box)
    ops = OperationsRepo(db)
    op = await ops.create(
        user_id=10, shop_id=shop_id, order_id=42, action=TRACK, idempotency_key="10:abc", now=NOW
    )
    assert op.status is OperationStatus.PENDING and op.attempts == 0
    found = await ops.by_idempotency_key("10:abc")
    assert found is not None and found.id == op.id
    assert await ops.claim(op.id, NOW)
    assert not await ops.claim(op.id, NOW), "an operation being sent cannot be claimed twice"
    later = NOW + dt.timedelta(minutes=5)
    await ops.reschedule(op.id, "503 overloaded", later, NOW)
    assert await ops.due(NOW) == []
    [due] = await ops.due(later + dt.timedelta(seconds=1))
    assert due.id == op.id and due.attempts == 1 and due.last_error == "503 overloaded"
    await ops.finish(op.id, OperationStatus.DONE, None, later)
    done = await ops.get(op.id)
    assert done is not None and done.status is OperationStatus.DONE
    assert done.action == TRACK
    row = await db.fetch_one("SELECT kind, payload FROM operations")
    assert row is not None and row["kind"] == "track"
    assert row["payload"] == '{"deliveryServiceId": 51, "trackCode": "T-1"}', "the Market's own field names"


async def test_history_is_newest_first_per_user_or_shop(db: Database, box: SecretBox) -> None:
    shop_id = await seed(db, box)
    await add_member(db, 30, shop_id, Role.COURIER)
    ops = OperationsRepo(db)
    move = DeliveryDate(to_date=dt.date(2026, 12, 1), reason=DeliveryDateReason.USER_MOVED)
    for n in range(25):
        await ops.create(user_id=10 if n % 2 else 30, shop_id=shop_id, order_id=n, action=move, now=NOW)
    everyone = await ops.history(shop_id)
    assert [o.order_id for o in everyone] == list(range(24, 4, -1))
    mine = await ops.history(shop_id, user_id=10)
    assert {o.user_id for o in mine} == {10} and mine[0].order_id == 23
    assert everyone[0].action == move


async def test_delivery_services_are_replaced_whole(db: Database) -> None:
    repo = DeliveryServicesRepo(db)
    assert await repo.all() == []
    await repo.replace_all([DeliveryServiceRef(id=51, name="СДЭК")])
    await repo.replace_all(
        [DeliveryServiceRef(id=106, name="Boxberry"), DeliveryServiceRef(id=51, name="СДЭК")]
    )
    assert [s.id for s in await repo.all()] == [106, 51]


def test_secret_box_round_trip_and_wrong_key() -> None:
    box = SecretBox(Fernet.generate_key())
    token = box.encrypt(API_KEY)
    assert API_KEY.encode() not in token
    assert box.decrypt(token) == API_KEY
    with pytest.raises(SecretDecryptError):
        SecretBox(Fernet.generate_key()).decrypt(token)


async def test_raw_key_is_absent_from_database_and_wal_bytes(tmp_path: Path, box: SecretBox) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    try:
        await seed(db, box)
        await connect_shop(db, box, owner_id=10, campaign_id=1001, api_key=API_KEY)  # a key replaced
        wal = path.with_name(path.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0, "the WAL holds the fresh writes"
        for file in (path, wal):
            data = file.read_bytes()
            assert API_KEY.encode() not in data
            assert b"never-hit-disk" not in data
    finally:
        await db.close()
    assert API_KEY.encode() not in path.read_bytes()
