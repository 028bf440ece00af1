"""Invites and removal: an invite joins once, in one transaction; only couriers can be removed."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.domain.errors import NotACourier
from bot.domain.records import Role, Shop
from bot.services.team import JoinResult, TeamService
from storage.db import Database
from storage.repositories import MembershipsRepo, PreferencesRepo, ShopsRepo
from storage.secrets import SecretBox
from tests.conftest import seed_shop
from tests.services.conftest import RecordedNotices

OWNER, COURIER, OTHER = 10, 30, 40


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
async def shop(db: Database, box: SecretBox) -> Shop:
    found = await ShopsRepo(db, box).get(await seed_shop(db, box, OWNER))
    assert found is not None
    return found


async def test_invite_joins_once_and_the_owner_is_told(
    db: Database, box: SecretBox, shop: Shop, notices: RecordedNotices
) -> None:
    team = TeamService(db, box, notices)
    invite = await team.invite(shop, OWNER)
    assert invite.hours == 24
    joined = await team.join(COURIER, invite.token)
    assert joined.result is JoinResult.JOINED and joined.shop == shop
    assert await PreferencesRepo(db).active_shop_id(COURIER) == shop.id
    assert notices.keys_for(OWNER) == ["team-courier-joined"]
    assert (await team.join(OTHER, invite.token)).result is JoinResult.USED
    assert (await team.join(OTHER, "A" * 22)).result is JoinResult.UNKNOWN
    assert [m.user_id for m in await team.members(shop)] == [OWNER, COURIER]


async def test_two_people_racing_for_one_invite(db: Database, box: SecretBox, shop: Shop) -> None:
    team = TeamService(db, box, RecordedNotices())
    invite = await team.invite(shop, OWNER)
    results = await asyncio.gather(team.join(COURIER, invite.token), team.join(OTHER, invite.token))
    assert sorted(r.result for r in results) == sorted([JoinResult.JOINED, JoinResult.USED])


async def test_expired_and_already_member(db: Database, box: SecretBox, shop: Shop) -> None:
    clock = Clock()
    team = TeamService(db, box, RecordedNotices(), invite_ttl_seconds=3600, clock=clock)
    invite = await team.invite(shop, OWNER)
    assert (await team.join(OWNER, invite.token)).result is JoinResult.ALREADY_MEMBER
    clock.now += dt.timedelta(hours=1)
    assert (await team.join(COURIER, invite.token)).result is JoinResult.EXPIRED
    assert await MembershipsRepo(db).get(COURIER, shop.id) is None


async def test_only_couriers_can_be_removed(
    db: Database, box: SecretBox, shop: Shop, notices: RecordedNotices
) -> None:
    team = TeamService(db, box, notices)
    await team.join(COURIER, (await team.invite(shop, OWNER)).token)
    with pytest.raises(NotACourier):
        await team.remove_courier(shop, OWNER)
    await team.remove_courier(shop, COURIER)
    assert notices.keys_for(COURIER) == ["team-you-were-removed"]
    with pytest.raises(NotACourier):
        await team.remove_courier(shop, COURIER)  # a second press
    assert [(m.user_id, m.role) for m in await team.members(shop)] == [(OWNER, Role.OWNER)]
