"""Connecting shops: one transaction, a previous owner demoted, keys checked and held in memory only."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.errors import (
    CampaignTaken,
    KeyCannotProcessOrders,
    KeyExpired,
    KeyRefused,
    NoCampaigns,
    NotAMember,
)
from bot.domain.operations import TrackCode
from bot.domain.records import Role
from bot.market.client import MarketClient
from bot.services.access import AccessService
from bot.services.pending_keys import PendingKeys
from bot.services.shops import ShopsService, connect_shop
from storage.db import Database
from storage.repositories import MembershipsRepo, OperationsRepo, PreferencesRepo, ShopsRepo
from storage.secrets import SecretBox
from tests.conftest import OWNER_KEY, add_courier, seed_shop
from tests.fakes.market import FakeMarket
from tests.services.conftest import RecordedNotices

OWNER, COURIER, OTHER = 10, 30, 20


@pytest.fixture
def shops(db: Database, box: SecretBox, client: MarketClient, notices: RecordedNotices) -> ShopsService:
    return ShopsService(db, box, client, notices, PendingKeys())


async def test_connect_saves_shop_owner_membership_and_active_shop(db: Database, box: SecretBox) -> None:
    shop = await connect_shop(db, box, owner_id=OWNER, campaign_id=1001, api_key="ACMA:k", domain="a.example")
    assert await ShopsRepo(db, box).api_key(shop.id) == "ACMA:k"
    assert await PreferencesRepo(db).active_shop_id(OWNER) == shop.id
    access = await AccessService(db, box).to(OWNER, shop.id)
    assert (
        access is not None and access.is_owner and access.api_key == "ACMA:k" and access.campaign_id == 1001
    )


async def test_reconnecting_a_campaign_replaces_key_and_owner(db: Database, box: SecretBox) -> None:
    first = await connect_shop(db, box, owner_id=OWNER, campaign_id=1001, api_key="ACMA:old")
    again = await connect_shop(db, box, owner_id=OTHER, campaign_id=1001, api_key="ACMA:new")
    assert again.id == first.id and again.owner_id == OTHER
    assert await ShopsRepo(db, box).api_key(first.id) == "ACMA:new"
    team = {m.user_id: m.role for m in await MembershipsRepo(db).team(first.id)}
    assert team == {OTHER: Role.OWNER, OWNER: Role.COURIER}


async def test_a_key_is_offered_ranked_then_connected_from_memory(
    shops: ShopsService, db: Database, market: FakeMarket
) -> None:
    offer = await shops.offer_key(OWNER, OWNER_KEY)
    assert [c.id for c in offer.campaigns] == [1001, 1002], "DBS first"
    assert await db.fetch_one("SELECT id FROM shops") is None, "nothing saved before the choice"
    connected = await shops.connect(OWNER, 1002)
    assert connected.shop.campaign_id == 1002 and not connected.is_dbs
    with pytest.raises(KeyExpired):
        await shops.connect(OWNER, 1001)  # the key was used up by the first choice


async def test_refused_and_empty_keys_save_nothing(
    shops: ShopsService, market: FakeMarket, db: Database
) -> None:
    with pytest.raises(KeyRefused) as refused:
        await shops.offer_key(OWNER, "ACMA:wrong")
    assert refused.value.market_failure.status == 401 and refused.value.wrong_key, "the Market's 401"
    assert refused.value.key == "settings-key-refused-unknown"
    market.add_key("lonely", set())
    with pytest.raises(NoCampaigns):
        await shops.offer_key(OWNER, "lonely")
    with pytest.raises(KeyExpired):
        await shops.connect(OWNER, 1001)
    assert await db.fetch_one("SELECT id FROM shops") is None


async def test_a_read_only_key_is_refused_and_kept_nowhere(shops: ShopsService, market: FakeMarket) -> None:
    market.add_key("readonly", {1001}, scopes=["ALL_METHODS_READ_ONLY"])
    with pytest.raises(KeyCannotProcessOrders):
        await shops.offer_key(OWNER, "readonly")
    with pytest.raises(KeyExpired):
        await shops.connect(OWNER, 1001)


async def test_a_campaign_owned_here_by_someone_else_is_not_taken_over(
    shops: ShopsService, db: Database, box: SecretBox, market: FakeMarket, notices: RecordedNotices
) -> None:
    shop_id = await seed_shop(db, box, OWNER)
    market.add_key("ACMA:another-key-of-the-business", {1001})
    await shops.offer_key(OTHER, "ACMA:another-key-of-the-business")
    with pytest.raises(CampaignTaken):
        await shops.connect(OTHER, 1001)
    assert notices.keys_for(OWNER) == ["shop-connect-attempt"]
    shop = await ShopsRepo(db, box).get(shop_id)
    assert shop is not None and shop.owner_id == OWNER
    assert await ShopsRepo(db, box).api_key(shop_id) == OWNER_KEY
    assert await MembershipsRepo(db).get(OTHER, shop_id) is None
    owner = await AccessService(db, box).to(OWNER, shop_id)
    assert owner is not None and owner.is_owner
    # The owner replacing their own key is not a takeover.
    await shops.offer_key(OWNER, "ACMA:another-key-of-the-business")
    assert (await shops.connect(OWNER, 1001)).shop.id == shop_id


async def test_switch_only_to_own_shops(shops: ShopsService, db: Database, box: SecretBox) -> None:
    mine = await seed_shop(db, box, OWNER)
    theirs = await seed_shop(db, box, OTHER, campaign=1002)
    with pytest.raises(NotAMember):
        await shops.switch(OWNER, theirs)
    assert await PreferencesRepo(db).active_shop_id(OWNER) == mine
    listed, active = await shops.mine(OWNER)
    assert [m.shop.id for m in listed] == [mine] and active == mine


async def test_removed_member_has_no_access_even_with_the_shop_still_active(
    db: Database, box: SecretBox
) -> None:
    shop_id = await seed_shop(db, box, OWNER, couriers=(COURIER,))
    access = AccessService(db, box)
    assert (courier := await access.to(COURIER, shop_id)) is not None and courier.role is Role.COURIER
    await MembershipsRepo(db).remove(COURIER, shop_id)
    assert await access.active_shop_id(COURIER) == shop_id
    assert await access.to(COURIER, shop_id) is None


async def test_disconnect_forgets_everything_then_tells_whom_it_concerns(
    shops: ShopsService, db: Database, box: SecretBox, notices: RecordedNotices
) -> None:
    shop_id = await seed_shop(db, box, OWNER, couriers=(COURIER,))
    await add_courier(db, box, shop_id, 31)
    await OperationsRepo(db).create(
        user_id=COURIER,
        shop_id=shop_id,
        order_id=42,
        action=TrackCode(track_code="T", delivery_service_id=51),
        now=dt.datetime.now(dt.UTC),
    )
    shop = await ShopsRepo(db, box).get(shop_id)
    assert shop is not None and await shops.unfinished_count(shop) == 1
    await shops.disconnect(shop)
    assert await db.fetch_one("SELECT id FROM shops") is None
    assert notices.keys_for(COURIER) == ["team-shop-disconnected-ops"]
    assert notices.keys_for(31) == ["team-shop-disconnected"]
    assert notices.keys_for(OWNER) == []
