"""No operation stays `sending` while the bot runs: any failure ends the attempt, the worker outlives it,
and stopping takes no longer than its grace."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Any

import pytest
from cryptography.fernet import Fernet

from bot.domain.operations import TrackCode
from bot.domain.outcomes import Outcome
from bot.domain.records import OperationStatus
from bot.domain.retry import RetryPolicy
from bot.market.client import MarketClient
from bot.services.access import Access, AccessService
from bot.services.operations import Operations
from bot.services.worker import RetryWorker
from storage.db import Database
from storage.secrets import SecretBox
from tests.conftest import seed_shop
from tests.fakes.market import FakeMarket
from tests.services.conftest import RecordedNotices, operations_with

OWNER = 10
TRACK = TrackCode(track_code="CD-1", delivery_service_id=51)
FAST = RetryPolicy(base_seconds=0.01, cap_seconds=0.02)


@pytest.fixture
def operations(db: Database, box: SecretBox, client: MarketClient, notices: RecordedNotices) -> Operations:
    return operations_with(db, box, client, notices, FAST)


async def owner_access(db: Database, box: SecretBox) -> Access:
    access = await AccessService(db, box).to(OWNER, await seed_shop(db, box, OWNER))
    assert access is not None
    return access


async def queued(
    operations: Operations, access: Access, market: FakeMarket, nonce: str = "n", order_id: int = 42
) -> Outcome:
    """An operation the Market answered 503 to: pending, due again at once."""
    market.fail("setOrderDeliveryTrackCode", status=503)
    outcome = await operations.confirm(access, order_id, TRACK, nonce)
    assert outcome.pending
    return outcome


async def status_of(db: Database, op_id: int) -> str:
    row = await db.fetch_one("SELECT status FROM operations WHERE id = ?", (op_id,))
    assert row is not None
    return str(row["status"])


async def test_an_order_status_the_bot_does_not_know_does_not_block_the_read_back(
    operations: Operations, db: Database, box: SecretBox, market: FakeMarket
) -> None:
    market.check_responses = False  # the Market may answer statuses outside the spec's enum
    market.add_order(1001, 42)
    op = (await queued(operations, await owner_access(db, box), market)).operation
    market.orders[(1001, 42)]["status"] = "AWAITING_SOMETHING_NEW"
    await asyncio.sleep(0.05)
    outcome = await operations.run(op)
    assert outcome is not None and outcome.failure is not None
    assert "AWAITING_SOMETHING_NEW" in outcome.failure.message, "the order was read; the Market's own answer"
    assert await status_of(db, op.id) == "failed"


async def test_a_key_that_no_longer_decrypts_fails_the_operation_instead_of_sticking(
    operations: Operations, db: Database, box: SecretBox, market: FakeMarket
) -> None:
    market.add_order(1001, 42)
    op = (await queued(operations, await owner_access(db, box), market)).operation
    other = SecretBox(Fernet.generate_key()).encrypt("ACMA:whatever")
    await db.execute("UPDATE shops SET api_key_enc = ?", (other,))
    await asyncio.sleep(0.05)
    outcome = await operations.run(op)
    assert outcome is not None and outcome.operation.status is OperationStatus.FAILED
    assert outcome.failure is not None and outcome.failure.code == "KEY_UNREADABLE"
    assert await status_of(db, op.id) == "failed"


async def test_a_bug_while_sending_is_logged_and_retried_not_stuck(
    operations: Operations,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    market.add_order(1001, 42)
    access = await owner_access(db, box)

    async def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(MarketClient, "set_track_code", broken)  # a bug on the way to the Market
    outcome = await operations.confirm(access, 42, TRACK, "n")
    assert outcome.pending and outcome.failure is not None and outcome.failure.code == "INTERNAL"
    assert await status_of(db, outcome.operation.id) == "pending"
    assert any(r.exc_info and "a bug" in str(r.exc_info[1]) for r in caplog.records), "logged with traceback"


async def test_the_worker_outlives_a_failing_look_up_and_goes_on(
    operations: Operations,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    market.add_order(1001, 42)
    op = (await queued(operations, await owner_access(db, box), market)).operation
    real_due = operations.due
    failures = iter([RuntimeError("database hiccup")])

    async def flaky_due(limit: int = 50) -> Any:
        for exc in failures:
            raise exc
        return await real_due(limit)

    monkeypatch.setattr(operations, "due", flaky_due)
    worker = RetryWorker(operations, poll_interval=0.02)
    with caplog.at_level(logging.ERROR):
        await worker.start()
        try:
            async with asyncio.timeout(5):
                while not notices.results:
                    await asyncio.sleep(0.02)
        finally:
            await worker.stop(1)
    assert notices.results[0].operation.id == op.id and notices.results[0].ok
    assert any("database hiccup" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


async def test_stop_returns_within_its_grace_and_starts_nothing_new(
    operations: Operations, db: Database, box: SecretBox, market: FakeMarket
) -> None:
    market.add_order(1001, 42)
    market.add_order(1001, 43)
    access = await owner_access(db, box)
    first = (await queued(operations, access, market, "a")).operation
    await queued(operations, access, market, "b", order_id=43)
    # Both due now, 42 first.
    await db.execute("UPDATE operations SET next_attempt_at = '2000-01-01T00:00:0' || id || '.000Z'")
    market.fail("getBusinessOrders", delay=3.0, order_id=42)  # the first retry hangs on the Market
    worker = RetryWorker(operations, poll_interval=0.02, concurrency=1)  # the second waits for a slot
    await worker.start()
    while not market.calls("getBusinessOrders"):
        await asyncio.sleep(0.01)
    started = time.monotonic()
    await worker.stop(grace=0.5)
    assert time.monotonic() - started < 1.0
    await asyncio.sleep(0.1)
    assert [c.body["orderIds"] for c in market.calls("getBusinessOrders")] == [[42]], "43 never started"
    assert await status_of(db, first.id) == "sending", "cut short: re-checked at the next start"


async def test_a_result_owed_when_the_bot_died_is_delivered_after_the_restart(
    db: Database, box: SecretBox, client: MarketClient, market: FakeMarket, notices: RecordedNotices
) -> None:
    market.add_order(1001, 42)
    access = await owner_access(db, box)
    before_crash = operations_with(db, box, client, RecordedNotices(), FAST)
    recorded = await before_crash.record(access, 42, TRACK, "n")
    assert not isinstance(recorded, Outcome)
    await before_crash.run(recorded)  # finished at the Market and recorded; then the process died

    after_restart = operations_with(db, box, client, notices, FAST)
    worker = RetryWorker(after_restart, poll_interval=0.02, owed_after=dt.timedelta(0))
    await worker.start()
    try:
        async with asyncio.timeout(5):
            while not notices.results:
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
    finally:
        await worker.stop(1)
    [told] = notices.results
    assert told.ok and told.operation.id == recorded.id and not told.duplicate
    assert len(market.calls("setOrderDeliveryTrackCode")) == 1
