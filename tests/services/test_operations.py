"""Confirming an operation: recorded once per confirmation card, sent once, the owner told if asked."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.errors import NotAllowedForCouriers
from bot.domain.market_data import DeliveryDateReason
from bot.domain.operations import DeliveryDate, TrackCode
from bot.domain.outcomes import Outcome
from bot.domain.records import OperationStatus
from bot.market.client import MarketClient
from bot.services.access import Access, AccessService
from bot.services.operations import Operations
from storage.db import Database
from storage.repositories import OperationsRepo, RecentServicesRepo, ShopsRepo
from storage.secrets import SecretBox
from tests.conftest import seed_shop
from tests.fakes.market import FakeMarket
from tests.services.conftest import RecordedNotices, operations_with

OWNER, COURIER = 10, 30
TRACK = TrackCode(track_code="CD-1", delivery_service_id=51)


@pytest.fixture
def operations(db: Database, box: SecretBox, client: MarketClient, notices: RecordedNotices) -> Operations:
    return operations_with(db, box, client, notices)


async def access_of(db: Database, box: SecretBox, user_id: int, shop_id: int) -> Access:
    access = await AccessService(db, box).to(user_id, shop_id)
    assert access is not None
    return access


async def test_one_card_confirmed_twice_sends_once(
    operations: Operations, db: Database, box: SecretBox, market: FakeMarket
) -> None:
    market.add_order(1001, 42)
    access = await access_of(db, box, OWNER, await seed_shop(db, box, OWNER))
    first = await operations.confirm(access, 42, TRACK, "nonce-1")
    second = await operations.confirm(access, 42, TRACK, "nonce-1")
    assert first.ok and not first.duplicate
    assert second.duplicate and second.operation.id == first.operation.id
    assert len(market.calls("setOrderDeliveryTrackCode")) == 1
    before = await operations.confirmed_before(OWNER, "nonce-1")
    assert before is not None and before.ok
    assert await operations.confirmed_before(OWNER, "nonce-2") is None
    assert await RecentServicesRepo(db).recent(OWNER) == [51], "a used service comes first next time"


async def test_a_date_change_is_sent_as_the_market_expects(
    operations: Operations, db: Database, box: SecretBox, market: FakeMarket
) -> None:
    market.add_order(1001, 42, "DELIVERY")
    access = await access_of(db, box, OWNER, await seed_shop(db, box, OWNER))
    move = DeliveryDate(to_date=dt.date(2026, 12, 5), reason=DeliveryDateReason.PARTNER_MOVED)
    outcome = await operations.confirm(access, 42, move, "n")
    assert outcome.operation.status is OperationStatus.DONE
    [call] = market.calls("setOrderDeliveryDate")
    assert call.body == {"dates": {"toDate": "2026-12-05"}, "reason": "PARTNER_MOVED_DELIVERY_DATES"}


async def test_owner_notice_only_for_couriers_and_only_when_asked(
    operations: Operations, db: Database, box: SecretBox, market: FakeMarket, notices: RecordedNotices
) -> None:
    market.add_order(1001, 42)
    shop_id = await seed_shop(db, box, OWNER, couriers=(COURIER,))
    courier = await access_of(db, box, COURIER, shop_id)
    await operations.confirm(courier, 42, TRACK, "a")
    assert notices.owner_notices == [], "notices are off by default"
    await ShopsRepo(db, box).set_notify_owner(shop_id, True)
    await operations.confirm(await access_of(db, box, OWNER, shop_id), 42, TRACK, "b")
    assert notices.owner_notices == [], "not about the owner's own operations"
    outcome = await operations.confirm(await access_of(db, box, COURIER, shop_id), 42, TRACK, "c")
    assert notices.owner_notices == [(OWNER, outcome)]


async def test_a_busy_market_leaves_it_queued_and_a_later_run_reads_back_first(
    operations: Operations, db: Database, box: SecretBox, market: FakeMarket
) -> None:
    market.add_order(1001, 42)
    access = await access_of(db, box, OWNER, await seed_shop(db, box, OWNER))
    market.fail("setOrderDeliveryTrackCode", status=503, apply=True)  # landed, but answered 503
    queued = await operations.confirm(access, 42, TRACK, "n")
    assert queued.pending and queued.failure is not None and queued.failure.retryable
    await db.execute("UPDATE operations SET next_attempt_at = '2000-01-01T00:00:00.000Z'")
    [due] = await operations.due()
    final = await operations.run(due)
    assert final is not None and final.ok
    assert len(market.calls("setOrderDeliveryTrackCode")) == 1, "the read-back saw the track: no resend"


async def test_a_courier_date_move_for_the_shops_reason_is_refused_by_default(
    operations: Operations, db: Database, box: SecretBox, market: FakeMarket
) -> None:
    market.add_order(1001, 42)
    shop_id = await seed_shop(db, box, OWNER, couriers=(COURIER,))
    courier = await access_of(db, box, COURIER, shop_id)
    for_the_shop = DeliveryDate(to_date=dt.date(2026, 12, 5), reason=DeliveryDateReason.PARTNER_MOVED)
    with pytest.raises(NotAllowedForCouriers):
        await operations.confirm(courier, 42, for_the_shop, "x")
    assert await db.fetch_one("SELECT id FROM operations") is None
    owner = await access_of(db, box, OWNER, shop_id)
    assert (await operations.confirm(owner, 42, for_the_shop, "y")).ok


CODE = TrackCode(track_code="CD-1", delivery_service_id=51)


async def test_a_result_that_cannot_be_told_does_not_hold_back_the_others(
    db: Database, box: SecretBox, client: MarketClient, notices: RecordedNotices
) -> None:
    """One owed result whose telling fails (a bug) is logged and left owed; the rest are told."""
    shop = await seed_shop(db, box, 1)
    operations = operations_with(db, box, client, notices)
    repo = OperationsRepo(db)
    now = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
    for order_id in (70, 71):
        op = await repo.create(user_id=1, shop_id=shop, order_id=order_id, action=CODE, now=now)
        await repo.finish(op.id, OperationStatus.DONE, None, now)
    told = notices.result_later

    async def fails_for_70(outcome: Outcome) -> bool:
        if outcome.operation.order_id == 70:
            raise ArithmeticError("a view that cannot render this result")
        return await told(outcome)

    notices.result_later = fails_for_70  # type: ignore[method-assign]
    await operations.deliver_owed(dt.timedelta(0))
    assert [o.operation.order_id for o in notices.results] == [71]
    assert [op.order_id for op in await repo.results_owed(now + dt.timedelta(days=1))] == [70]
