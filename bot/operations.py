"""Confirmed operations: recorded before anything is sent, sent at most once to completion.

A first attempt is sent straight away. Any later attempt (after a retryable failure, or for an
operation found half-sent after a restart) first reads the order back from the Market: if the track
code or date is already there, the earlier request landed and the operation is done without a
second write. That is what makes a lost response, a timeout whose request arrived, or a crash between
the Market's reply and its recording safe to retry.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.market import MarketApiError, MarketClient, MarketError, MarketTransportError
from bot.market.models import DeliveryDateReason, Order
from storage.models import Operation, OperationKind, OperationStatus
from storage.repositories import OperationsRepo, ShopsRepo, utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Failure:
    """Why an attempt failed, as the user is told: the Market's status, code and message."""

    status: int | None
    code: str
    message: str
    retryable: bool = False
    retry_after: float | None = None

    def to_json(self) -> str:
        return json.dumps(
            {"status": self.status, "code": self.code, "message": self.message}, ensure_ascii=False
        )

    @classmethod
    def from_json(cls, raw: str | None) -> Failure | None:
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return cls(status=data.get("status"), code=str(data["code"]), message=str(data["message"]))
        except (ValueError, KeyError, TypeError):
            return cls(status=None, code="ERROR", message=raw)

    @classmethod
    def of(cls, exc: MarketError) -> Failure:
        if isinstance(exc, MarketApiError):
            return cls(exc.status, exc.code, exc.message, exc.retryable, exc.retry_after)
        if isinstance(exc, MarketTransportError) and exc.timeout:
            return cls(None, "TIMEOUT", str(exc), retryable=True)
        return cls(None, "NETWORK", str(exc), retryable=True)


@dataclass(frozen=True, slots=True)
class Outcome:
    operation: Operation
    duplicate: bool = False  # this confirmation was handled before: nothing was sent now
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.operation.status is OperationStatus.DONE

    @property
    def pending(self) -> bool:
        return self.operation.status in (OperationStatus.PENDING, OperationStatus.SENDING)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Capped exponential backoff with jitter, at least what the Market asked, for up to `window`."""

    base_seconds: float = 5.0
    cap_seconds: float = 600.0
    window: dt.timedelta = dt.timedelta(hours=24)

    def next_attempt(self, operation: Operation, failure: Failure, now: dt.datetime) -> dt.datetime | None:
        """When to try again, or None when the window is over."""
        deadline = operation.created_at + self.window
        if now >= deadline:
            return None
        ceiling = min(self.cap_seconds, self.base_seconds * 2.0 ** max(0, operation.attempts - 1))
        delay = ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto
        delay = max(delay, failure.retry_after or 0.0)
        return min(now + dt.timedelta(seconds=delay), deadline)


def track_payload(track_code: str, delivery_service_id: int) -> dict[str, Any]:
    return {"trackCode": track_code, "deliveryServiceId": delivery_service_id}


def date_payload(to_date: dt.date, reason: DeliveryDateReason) -> dict[str, Any]:
    return {"toDate": to_date.isoformat(), "reason": reason.value}


def already_applied(operation: Operation, order: Order) -> bool:
    """Does the order already show what this operation sets?"""
    delivery = order.delivery
    if delivery is None:
        return False
    if operation.kind is OperationKind.TRACK:
        code, service = operation.payload["trackCode"], int(operation.payload["deliveryServiceId"])
        return any(t.track_code == code and t.delivery_service_id == service for t in delivery.tracks or [])
    target = dt.date.fromisoformat(operation.payload["toDate"])
    dates = delivery.dates
    return dates is not None and (dates.to_date or dates.from_date) == target == dates.from_date


class OperationSender:
    def __init__(
        self,
        market: MarketClient,
        operations: OperationsRepo,
        shops: ShopsRepo,
        policy: RetryPolicy | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._market = market
        self._operations = operations
        self._shops = shops
        self.policy = policy or RetryPolicy()
        self._clock = clock
        self.on_queued: Callable[[], None] = lambda: None  # the retry worker's wake-up

    async def submit(
        self,
        *,
        user_id: int,
        shop_id: int,
        order_id: int,
        kind: OperationKind,
        payload: dict[str, Any],
        idempotency_key: str,
    ) -> Outcome:
        """Record the operation, then make its first attempt. A repeated key sends nothing."""
        operation, created = await self._operations.create(
            user_id=user_id,
            shop_id=shop_id,
            order_id=order_id,
            kind=kind,
            payload=payload,
            idempotency_key=idempotency_key,
        )
        outcome = await self.run(operation) if created else None
        if outcome is None:
            current = await self._operations.get(operation.id) or operation
            return Outcome(current, duplicate=True, failure=Failure.from_json(current.last_error))
        return outcome

    async def run(self, operation: Operation) -> Outcome | None:
        """One attempt at a pending operation; None if another task holds it."""
        if not await self._operations.claim(operation.id):
            return None
        claimed = await self._operations.get(operation.id)
        if claimed is None:
            return None
        failure = await self._attempt(claimed)
        now = self._clock()
        if failure is None:
            await self._operations.finish(claimed.id, OperationStatus.DONE)
        elif failure.retryable and (when := self.policy.next_attempt(claimed, failure, now)) is not None:
            await self._operations.reschedule(claimed.id, failure.to_json(), when)
            self.on_queued()
        else:
            await self._operations.finish(claimed.id, OperationStatus.FAILED, failure.to_json())
        final = await self._operations.get(claimed.id) or claimed
        logger.info(
            "operation %s kind=%s attempt=%d status=%s%s",
            final.id,
            final.kind.value,
            final.attempts,
            final.status.value,
            f" error={failure.code}" if failure else "",
        )
        return Outcome(final, failure=failure)

    async def _attempt(self, operation: Operation) -> Failure | None:
        api_key = await self._shops.api_key(operation.shop_id)
        shop = await self._shops.get(operation.shop_id)
        if api_key is None or shop is None:
            return Failure(None, "SHOP_GONE", "shop disconnected")
        try:
            if operation.attempts > 1:
                order = await self._market.get_order(api_key, shop.campaign_id, operation.order_id)
                if already_applied(operation, order):
                    logger.info("operation %s had already landed; not sending again", operation.id)
                    return None
            await self._send(api_key, shop.campaign_id, operation)
        except MarketError as exc:
            return Failure.of(exc)
        return None

    async def _send(self, api_key: str, campaign_id: int, operation: Operation) -> None:
        if operation.kind is OperationKind.TRACK:
            await self._market.set_track_code(
                api_key,
                campaign_id,
                operation.order_id,
                track_code=operation.payload["trackCode"],
                delivery_service_id=int(operation.payload["deliveryServiceId"]),
            )
        else:
            await self._market.set_delivery_date(
                api_key,
                campaign_id,
                operation.order_id,
                to_date=dt.date.fromisoformat(operation.payload["toDate"]),
                reason=DeliveryDateReason(operation.payload["reason"]),
            )
