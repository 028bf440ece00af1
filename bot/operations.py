"""Sending a confirmed operation: recorded first, sent once, its outcome recorded."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from bot.market import MarketApiError, MarketClient, MarketError, MarketTransportError
from bot.market.models import DeliveryDateReason
from storage.models import Operation, OperationKind, OperationStatus
from storage.repositories import OperationsRepo, ShopsRepo

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Failure:
    """Why an operation failed, as the user is told: the Market's status, code and message."""

    status: int | None
    code: str
    message: str

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
            return cls(status=exc.status, code=exc.code, message=exc.message)
        if isinstance(exc, MarketTransportError) and exc.timeout:
            return cls(status=None, code="TIMEOUT", message=str(exc))
        return cls(status=None, code="NETWORK", message=str(exc))


@dataclass(frozen=True, slots=True)
class Outcome:
    operation: Operation
    duplicate: bool  # this confirmation was already handled: nothing was sent now
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None and self.operation.status is OperationStatus.DONE


def track_payload(track_code: str, delivery_service_id: int) -> dict[str, Any]:
    return {"trackCode": track_code, "deliveryServiceId": delivery_service_id}


def date_payload(to_date: dt.date, reason: DeliveryDateReason) -> dict[str, Any]:
    return {"toDate": to_date.isoformat(), "reason": reason.value}


class OperationSender:
    def __init__(self, market: MarketClient, operations: OperationsRepo, shops: ShopsRepo) -> None:
        self._market = market
        self._operations = operations
        self._shops = shops

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
        """Record the operation, then send it once. A repeated key sends nothing and says so."""
        operation, created = await self._operations.create(
            user_id=user_id,
            shop_id=shop_id,
            order_id=order_id,
            kind=kind,
            payload=payload,
            idempotency_key=idempotency_key,
        )
        if not created or not await self._operations.claim(operation.id):
            return Outcome(operation, duplicate=True, failure=Failure.from_json(operation.last_error))
        failure = await self._send(operation)
        if failure is None:
            await self._operations.finish(operation.id, OperationStatus.DONE)
        else:
            await self._operations.finish(operation.id, OperationStatus.FAILED, failure.to_json())
        final = await self._operations.get(operation.id) or operation
        return Outcome(final, duplicate=False, failure=failure)

    async def _send(self, operation: Operation) -> Failure | None:
        api_key = await self._shops.api_key(operation.shop_id)
        shop = await self._shops.get(operation.shop_id)
        if api_key is None or shop is None:
            return Failure(status=None, code="SHOP_GONE", message="shop disconnected")
        try:
            if operation.kind is OperationKind.TRACK:
                await self._market.set_track_code(
                    api_key,
                    shop.campaign_id,
                    operation.order_id,
                    track_code=operation.payload["trackCode"],
                    delivery_service_id=int(operation.payload["deliveryServiceId"]),
                )
            else:
                await self._market.set_delivery_date(
                    api_key,
                    shop.campaign_id,
                    operation.order_id,
                    to_date=dt.date.fromisoformat(operation.payload["toDate"]),
                    reason=DeliveryDateReason(operation.payload["reason"]),
                )
        except MarketError as exc:
            logger.info("operation %s failed: %s", operation.id, type(exc).__name__)
            return Failure.of(exc)
        return None
