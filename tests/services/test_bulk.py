"""Bulk sends at the service level: recorded whole, sent once, finished and reported after a restart."""

from __future__ import annotations

import asyncio
import sqlite3

from bot.domain.bulk import BulkRow
from bot.domain.outcomes import Outcome
from bot.domain.records import Batch, Operation
from bot.domain.retry import RetryPolicy
from bot.market.client import MarketClient
from bot.services.access import Access, AccessService
from bot.services.bulk import BulkSends
from bot.services.delivery_services import DeliveryServices
from bot.services.operations import Operations
from bot.services.orders import OrdersService
from bot.services.worker import RetryWorker
from storage.db import Database
from storage.repositories import ShopsRepo
from storage.secrets import SecretBox
from tests.conftest import add_courier, seed_shop
from tests.fakes.market import FakeMarket
from tests.services.conftest import RecordedNotices

OWNER = 10
COURIER = 11
IDS = range(900, 906)


async def setup(
    db: Database, box: SecretBox, client: MarketClient, notices: RecordedNotices, market: FakeMarket
) -> tuple[Access, Operations, BulkSends]:
    access = await AccessService(db, box).to(OWNER, await seed_shop(db, box, OWNER))
    assert access is not None
    for order_id in IDS:
        market.add_order(1001, order_id)
    orders = OrdersService(db, box, client, DeliveryServices(client, db))
    operations = Operations(
        db, box, client, notices, orders, RetryPolicy(base_seconds=0.01, cap_seconds=0.02)
    )
    return access, operations, BulkSends(db, box, operations, orders, notices, progress_every=0.0)


async def recorded(bulk: BulkSends, access: Access) -> Batch:
    """A batch of every order in IDS, checked and confirmed (nothing sent yet)."""
    preview = await bulk.check(access, [BulkRow(n, str(i), f"T-{i}") for n, i in enumerate(IDS, 1)])
    recorded = await bulk.record(access, preview.ready, "nonce")
    assert recorded.new and recorded.batch is not None and recorded.batch.size == len(IDS)
    return recorded.batch


async def until(condition: object, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not callable(condition) or not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_batch_the_bot_died_before_sending_is_sent_and_reported_once_after_the_restart(
    db: Database, box: SecretBox, client: MarketClient, notices: RecordedNotices, market: FakeMarket
) -> None:
    access, operations, bulk = await setup(db, box, client, notices, market)
    preview = await bulk.check(access, [BulkRow(n, str(i), f"T-{i}") for n, i in enumerate(IDS, 1)])
    assert len(preview.ready) == len(IDS) and preview.bad == []
    first = await bulk.record(access, preview.ready, "nonce")
    assert first.new and (batch := first.batch) is not None
    # The process dies here, before its runner sends anything. The next start:
    worker = RetryWorker(operations, poll_interval=0.02, batches=bulk)
    await worker.start()
    try:
        await until(lambda: notices.reports)
        await asyncio.sleep(0.2)  # more polls: still one report
    finally:
        await worker.stop()
    [(summary, failed)] = notices.reports
    assert (summary.done, summary.failed, failed) == (len(IDS), 0, [])
    assert len(market.calls("setOrderDeliveryTrackCode")) == len(IDS)
    assert notices.results == [], "a batch's lines are told in its report, not one by one"

    again = await bulk.record(access, preview.ready, "nonce")
    assert again.batch is not None and (again.batch.id, again.new) == (batch.id, False)
    row = await db.fetch_one("SELECT count(*) FROM operations")
    assert row is not None and row[0] == len(IDS), "confirming the same preview again records nothing"


async def test_a_runner_stopped_halfway_leaves_the_rest_to_the_next_start(
    db: Database, box: SecretBox, client: MarketClient, notices: RecordedNotices, market: FakeMarket
) -> None:
    access, operations, bulk = await setup(db, box, client, notices, market)
    batch = await recorded(bulk, access)
    market.latency = 0.1
    bulk.start(batch, message_id=None)
    await until(lambda: len(market.calls("setOrderDeliveryTrackCode")) >= 2)
    await bulk.stop(grace=0.0)  # SIGTERM: the lines in flight are cut short
    assert notices.reports == []
    # The Market finishes what reached it (a write it has not applied yet when the order is read back
    # is the one repeat the bot cannot see; the README says so).
    await until(lambda: not any(market.in_flight.values()))
    market.latency = 0.0
    worker = RetryWorker(operations, poll_interval=0.02, batches=bulk)
    await worker.start()
    try:
        await until(lambda: notices.reports)
    finally:
        await worker.stop()
    [(summary, _)] = notices.reports
    assert summary.done == len(IDS)
    applied = sorted(c.path for c in market.calls("setOrderDeliveryTrackCode") if c.status == 200)
    # a line cut short in flight is read back before it is sent again: each order took its code once
    assert applied == sorted(f"/v2/campaigns/1001/orders/{i}/delivery/track" for i in IDS)


async def test_a_fault_in_the_runner_leaves_the_rest_to_the_worker_and_nothing_is_lost(
    db: Database, box: SecretBox, client: MarketClient, notices: RecordedNotices, market: FakeMarket
) -> None:
    access, operations, bulk = await setup(db, box, client, notices, market)
    batch = await recorded(bulk, access)
    real_run = operations.run
    calls = 0

    async def failing_once(operation: Operation) -> Outcome | None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise sqlite3.OperationalError("disk I/O error")
        return await real_run(operation)

    operations.run = failing_once  # type: ignore[method-assign]
    worker = RetryWorker(operations, poll_interval=0.02, batches=bulk)
    await worker.start()
    try:
        runner = bulk.start(batch, message_id=None)
        await asyncio.gather(runner, return_exceptions=True)
        await until(lambda: notices.reports)
    finally:
        await worker.stop()
    [(summary, _)] = notices.reports
    assert summary.done == len(IDS), "the lines the runner did not reach were sent by the worker"
    assert len(market.calls("setOrderDeliveryTrackCode")) == len(IDS)


async def test_an_owner_who_asked_hears_of_a_couriers_batch_once(
    db: Database, box: SecretBox, client: MarketClient, notices: RecordedNotices, market: FakeMarket
) -> None:
    _, _, bulk = await setup(db, box, client, notices, market)
    await add_courier(db, box, 1, COURIER)
    await ShopsRepo(db, box).set_notify_owner(1, True)
    courier = await AccessService(db, box).to(COURIER, 1)
    assert courier is not None
    batch = await recorded(bulk, courier)
    await bulk.start(batch, message_id=None)
    assert notices.keys_for(OWNER) == ["bulk-owner-notice"], "one notice for the batch, not one per line"
    assert notices.owner_notices == []
    [(_, _, args)] = notices.told
    assert (args["size"], args["done"], args["failed"]) == (len(IDS), len(IDS), 0)


async def test_two_previews_confirmed_one_after_the_other_record_each_order_once(
    db: Database, box: SecretBox, client: MarketClient, notices: RecordedNotices, market: FakeMarket
) -> None:
    access, _, bulk = await setup(db, box, client, notices, market)
    rows = [BulkRow(n, str(i), f"T-{i}") for n, i in enumerate(IDS, 1)]
    first, second = await bulk.check(access, rows), await bulk.check(access, rows[:3])
    one = await bulk.record(access, first.ready, "one", checked_at=first.checked_at)
    assert one.batch is not None and one.left_out == []

    # the first batch is still waiting to be sent: the second preview's lines are on their way already
    two = await bulk.record(access, second.ready, "two", checked_at=second.checked_at)
    assert (two.batch, two.new, two.left_out) == (None, True, second.ready)

    await bulk.start(one.batch, message_id=None)  # now they went through
    three = await bulk.record(access, second.ready, "three", checked_at=second.checked_at)
    assert three.batch is None and three.left_out == second.ready
    row = await db.fetch_one("SELECT count(*) FROM operations")
    assert row is not None and row[0] == len(IDS)
    assert len(market.calls("setOrderDeliveryTrackCode")) == len(IDS), "one POST per order"
