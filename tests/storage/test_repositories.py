"""Repositories: what the database holds after each call; keys never in clear."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from storage.db import Database
from storage.models import DeliveryServiceRef, OperationKind, OperationStatus, Role
from storage.repositories import (
    DeliveryServicesRepo,
    MembershipsRepo,
    OperationsRepo,
    SettingsRepo,
    ShopsRepo,
    UsersRepo,
)
from storage.secrets import SecretBox, SecretDecryptError

API_KEY = "ACMA:Zq1secret-api-key-value-that-must-never-hit-disk:0042"


async def connect_shop(db: Database, box: SecretBox, owner: int = 10, campaign: int = 1001) -> int:
    shop = await ShopsRepo(db, box).connect(
        owner_id=owner,
        campaign_id=campaign,
        api_key=API_KEY,
        domain="dbs-shop.example",
        business_id=777,
        business_name="Бизнес",
        placement_type="DBS",
    )
    return shop.id


async def test_connect_saves_shop_owner_membership_and_active_shop(db: Database, box: SecretBox) -> None:
    shop_id = await connect_shop(db, box)
    shops = ShopsRepo(db, box)
    shop = await shops.get(shop_id)
    assert shop is not None
    assert (shop.campaign_id, shop.title, shop.owner_id, shop.placement_type) == (
        1001,
        "dbs-shop.example",
        10,
        "DBS",
    )
    assert await shops.api_key(shop_id) == API_KEY
    active = await SettingsRepo(db).active_shop(10)
    assert active is not None and active.shop.id == shop_id and active.role is Role.OWNER
    row = await db.fetch_one("SELECT api_key_enc FROM shops WHERE id = ?", (shop_id,))
    assert row is not None and API_KEY.encode() not in row["api_key_enc"]


async def test_reconnecting_a_campaign_replaces_key_and_owner(db: Database, box: SecretBox) -> None:
    shop_id = await connect_shop(db, box, owner=10)
    shops = ShopsRepo(db, box)
    again = await shops.connect(owner_id=20, campaign_id=1001, api_key="ACMA:new")
    assert again.id == shop_id and again.owner_id == 20
    assert await shops.api_key(shop_id) == "ACMA:new"
    members = {m.user_id: m.role for m in await MembershipsRepo(db).members_of(shop_id)}
    assert members == {20: Role.OWNER, 10: Role.COURIER}


async def test_replace_key_and_delete_shop_cascades(db: Database, box: SecretBox) -> None:
    shop_id = await connect_shop(db, box)
    shops = ShopsRepo(db, box)
    assert await shops.replace_api_key(shop_id, "ACMA:rotated")
    assert await shops.api_key(shop_id) == "ACMA:rotated"
    await MembershipsRepo(db).add(30, shop_id, Role.COURIER)
    await OperationsRepo(db).create(
        user_id=30, shop_id=shop_id, order_id=1, kind=OperationKind.TRACK, payload={}
    )
    assert await shops.delete(shop_id)
    assert await shops.get(shop_id) is None
    assert await MembershipsRepo(db).shops_of(30) == []
    assert await SettingsRepo(db).active_shop(10) is None
    assert await db.fetch_one("SELECT id FROM operations") is None


async def test_memberships_and_active_shop_only_while_member(db: Database, box: SecretBox) -> None:
    shop_id = await connect_shop(db, box)
    other_id = await connect_shop(db, box, owner=11, campaign=2002)
    memberships = MembershipsRepo(db)
    settings = SettingsRepo(db)
    await memberships.add(30, shop_id, Role.COURIER)
    await memberships.add(30, other_id, Role.COURIER)
    assert [m.shop.id for m in await memberships.shops_of(30)] == [shop_id, other_id]
    await settings.set_active_shop(30, other_id)
    active = await settings.active_shop(30)
    assert active is not None and active.shop.id == other_id and active.role is Role.COURIER
    assert await memberships.remove(30, other_id)
    assert await settings.active_shop(30) is None, "a removed courier has no active shop there"
    assert (await memberships.get(30, shop_id)) is not None
    assert await memberships.get(30, other_id) is None


async def test_recent_services_newest_first(db: Database) -> None:
    settings = SettingsRepo(db)
    for service in (51, 106, 51, 139):
        await settings.remember_service(7, service)
    assert await settings.recent_services(7) == [139, 51, 106]
    assert await settings.recent_services(7, limit=1) == [139]


async def test_users_upsert_keeps_language(db: Database) -> None:
    users = UsersRepo(db)
    await users.upsert(5, "ru")
    await users.upsert(5, "en")
    user = await users.get(5)
    assert user is not None and user.language == "en"
    assert await users.get(6) is None


async def test_operations_lifecycle_and_idempotency(db: Database, box: SecretBox) -> None:
    shop_id = await connect_shop(db, box)
    ops = OperationsRepo(db)
    op, created = await ops.create(
        user_id=10,
        shop_id=shop_id,
        order_id=42,
        kind=OperationKind.TRACK,
        payload={"trackCode": "T-1", "deliveryServiceId": 51},
        idempotency_key="10:confirm:abc",
    )
    assert created and op.status is OperationStatus.PENDING and op.attempts == 0
    same, created_again = await ops.create(
        user_id=10,
        shop_id=shop_id,
        order_id=42,
        kind=OperationKind.TRACK,
        payload={"trackCode": "T-1", "deliveryServiceId": 51},
        idempotency_key="10:confirm:abc",
    )
    assert not created_again and same.id == op.id
    assert await ops.claim(op.id)
    assert not await ops.claim(op.id), "an operation being sent cannot be claimed twice"
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    await ops.reschedule(op.id, "503 overloaded", later)
    assert await ops.due(dt.datetime.now(dt.UTC)) == []
    [due] = await ops.due(later + dt.timedelta(seconds=1))
    assert due.id == op.id and due.attempts == 1 and due.last_error == "503 overloaded"
    await ops.finish(op.id, OperationStatus.DONE)
    done = await ops.get(op.id)
    assert done is not None and done.status is OperationStatus.DONE
    assert done.payload == {"trackCode": "T-1", "deliveryServiceId": 51}


async def test_history_is_newest_first_per_user_or_shop(db: Database, box: SecretBox) -> None:
    shop_id = await connect_shop(db, box)
    ops = OperationsRepo(db)
    for n in range(25):
        await ops.create(
            user_id=10 if n % 2 else 30,
            shop_id=shop_id,
            order_id=n,
            kind=OperationKind.DATE,
            payload={"toDate": "2026-12-01"},
        )
    everyone = await ops.history(shop_id)
    assert [o.order_id for o in everyone] == list(range(24, 4, -1))
    mine = await ops.history(shop_id, user_id=10)
    assert {o.user_id for o in mine} == {10} and mine[0].order_id == 23


async def test_delivery_services_cache(db: Database) -> None:
    repo = DeliveryServicesRepo(db)
    assert await repo.fetched_at() is None
    when = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    await repo.replace_all([DeliveryServiceRef(id=51, name="СДЭК")], when)
    await repo.replace_all(
        [DeliveryServiceRef(id=106, name="Boxberry"), DeliveryServiceRef(id=51, name="СДЭК")], when
    )
    assert [s.id for s in await repo.all()] == [106, 51]
    assert await repo.fetched_at() == when


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
        shop_id = await connect_shop(db, box)
        await ShopsRepo(db, box).replace_api_key(shop_id, API_KEY)
        wal = path.with_name(path.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0, "the WAL holds the fresh writes"
        for file in (path, wal):
            data = file.read_bytes()
            assert API_KEY.encode() not in data
            assert b"never-hit-disk" not in data
    finally:
        await db.close()
    assert API_KEY.encode() not in path.read_bytes()
