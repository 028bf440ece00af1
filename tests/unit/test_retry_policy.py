"""When the worker tries again, and how it tells that an earlier request already landed."""

from __future__ import annotations

import datetime as dt

from bot.domain.market_data import BusinessOrder, DeliveryDateReason
from bot.domain.operations import DeliveryDate, Failure, TrackCode
from bot.domain.records import Operation, OperationStatus
from bot.domain.retry import RetryPolicy
from tests.fakes.market import business_order, make_order

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


TRACK = TrackCode(track_code="A", delivery_service_id=51)


def operation(action: TrackCode | DeliveryDate = TRACK, attempts: int = 1, age_hours: float = 0) -> Operation:
    created = NOW - dt.timedelta(hours=age_hours)
    return Operation(
        id=1,
        user_id=1,
        shop_id=1,
        order_id=42,
        action=action,
        status=OperationStatus.SENDING,
        attempts=attempts,
        last_error=None,
        idempotency_key=None,
        next_attempt_at=None,
        created_at=created,
        updated_at=created,
    )


BUSY = Failure(500, "INTERNAL", "x", retryable=True)


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_seconds=10, cap_seconds=60)
    delays = []
    for attempts in (1, 2, 3, 4, 5, 6):
        when = policy.next_attempt(operation(TRACK, attempts), BUSY, NOW)
        assert when is not None
        delays.append((when - NOW).total_seconds())
    assert 5 <= delays[0] <= 10 and 10 <= delays[1] <= 20 and 20 <= delays[2] <= 40
    assert all(30 <= d <= 60 for d in delays[3:])


def test_retry_after_is_honoured() -> None:
    policy = RetryPolicy(base_seconds=1, cap_seconds=5)
    waited = Failure(420, "LIMIT", "x", retryable=True, retry_after=1800)
    when = policy.next_attempt(operation(TRACK, 1), waited, NOW)
    assert when == NOW + dt.timedelta(seconds=1800)


def test_window_caps_the_last_attempt_and_then_ends() -> None:
    policy = RetryPolicy(base_seconds=600, cap_seconds=3600)
    near_end = operation(TRACK, 10, age_hours=23.9)
    when = policy.next_attempt(near_end, BUSY, NOW)
    assert when == near_end.created_at + dt.timedelta(hours=24)
    assert policy.next_attempt(operation(TRACK, 10, age_hours=24), BUSY, NOW) is None


def test_track_already_applied_only_with_same_code_and_service() -> None:
    action = TrackCode(track_code="CD-1", delivery_service_id=51)
    landed = BusinessOrder.model_validate(
        business_order(1001, make_order(42, tracks=[{"trackCode": "CD-1", "deliveryServiceId": 51}]))
    )
    other = BusinessOrder.model_validate(
        business_order(1001, make_order(42, tracks=[{"trackCode": "CD-1", "deliveryServiceId": 106}]))
    )
    none = BusinessOrder.model_validate(business_order(1001, make_order(42)))
    assert action.applied(landed)
    assert not action.applied(other) and not action.applied(none)


def test_date_already_applied_when_the_order_shows_it() -> None:
    action = DeliveryDate(to_date=dt.date(2026, 12, 5), reason=DeliveryDateReason.USER_MOVED)
    assert action.applied(
        BusinessOrder.model_validate(business_order(1001, make_order(42, delivery_from=dt.date(2026, 12, 5))))
    )
    assert not action.applied(
        BusinessOrder.model_validate(business_order(1001, make_order(42, delivery_from=dt.date(2026, 12, 4))))
    )
