"""Operation kinds: what a confirmed change sets on an order, and how to see it landed.

Each kind is a pydantic model with a `kind` tag; `Action` is their discriminated union. A kind knows
its Market payload (stored as the operation's JSON) and how to tell from an order read back whether it
is already applied (which makes resending safe); `bot.market.writer` sends it. Adding a kind means a
model here, its call in the writer, its view in `bot.telegram.views` and its catalogue texts.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.alias_generators import to_camel

from bot.domain.market_data import BusinessOrder, DeliveryDateReason, OrderStatus


class _Kind(BaseModel):
    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True)

    seen_on_order: ClassVar[bool] = True  # an order read back shows whether it landed (`applied`)

    def payload(self) -> dict[str, Any]:
        """What is stored (and sent): the Market's field names, without the kind tag."""
        return self.model_dump(mode="json", by_alias=True, exclude={"kind"})


class TrackCode(_Kind):
    """A parcel's track code with the delivery service that carries it."""

    kind: Literal["track"] = "track"
    track_code: str
    delivery_service_id: int

    def applied(self, order: BusinessOrder) -> bool:
        tracks = order.delivery.tracks if order.delivery else None
        return any(
            t.track_code == self.track_code and t.delivery_service_id == self.delivery_service_id
            for t in tracks or []
        )


class DeliveryDate(_Kind):
    """A new delivery date and why it moves."""

    kind: Literal["date"] = "date"
    to_date: dt.date
    reason: DeliveryDateReason

    def applied(self, order: BusinessOrder) -> bool:
        dates = order.delivery.dates if order.delivery else None
        return dates is not None and (dates.to_date or dates.from_date) == self.to_date == dates.from_date


STEP_ORDER = (OrderStatus.PROCESSING, OrderStatus.DELIVERY, OrderStatus.PICKUP, OrderStatus.DELIVERED)


class StatusStep(_Kind):
    """One DBS status step: out for delivery, delivered (on `real_delivery_date` when not today),
    or cancelled by the shop."""

    kind: Literal["status"] = "status"
    status: OrderStatus
    real_delivery_date: dt.date | None = None

    def applied(self, order: BusinessOrder) -> bool:
        """The order is at this step or past it (a later step can only follow this one)."""
        if self.status is OrderStatus.CANCELLED or order.status not in STEP_ORDER:
            return order.status == self.status
        return STEP_ORDER.index(order.status) >= STEP_ORDER.index(self.status)


class CancellationAnswer(_Kind):
    """The shop's answer to a buyer's cancellation request: cancel the order (`accepted`), or refuse
    because it is delivered already or with the courier (`reason`)."""

    kind: Literal["cancel_answer"] = "cancel_answer"
    accepted: bool
    reason: Literal["ORDER_DELIVERED", "ORDER_IN_DELIVERY"] | None = None

    @classmethod
    def of(cls, accepted: bool, reason: str | None) -> CancellationAnswer:
        return cls.model_validate({"accepted": accepted, "reason": reason})

    def applied(self, order: BusinessOrder) -> bool:
        """Accepted: the order is cancelled. Refused: it is not, and no request waits any more."""
        if self.accepted:
            return order.status == OrderStatus.CANCELLED
        return not order.cancel_requested and order.status != OrderStatus.CANCELLED


class ChatReply(_Kind):
    """A message from the shop's team to a buyer's chat. An order read back cannot show it, so it is
    never taken as landed from one (`seen_on_order`); the chat's history tells instead."""

    kind: Literal["chat"] = "chat"
    chat_id: int
    message: str = Field(min_length=1, max_length=4096)
    after: int | None = None  # the chat's newest message known when it was written (to look it up)

    seen_on_order: ClassVar[bool] = False

    def applied(self, order: BusinessOrder) -> bool:
        return False


AnyAction = TrackCode | DeliveryDate | StatusStep | CancellationAnswer | ChatReply
Action = Annotated[AnyAction, Field(discriminator="kind")]
ACTION: TypeAdapter[AnyAction] = TypeAdapter(Action)


def action_from(kind: str, payload: dict[str, Any]) -> AnyAction:
    """Rebuild a stored action from its kind and payload."""
    return ACTION.validate_python({**payload, "kind": kind})


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
