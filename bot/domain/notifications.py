"""The Market's push notifications (API-уведомления), as the bot keeps them: one `MarketEvent` per
notification, whatever its type. The contract is tests/contract/market-notifications.yaml; what each
type requires and where its own time is are in `SHAPES` below (a unit test holds them to the spec).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr, ValidationError

from bot.domain.clock import MSK, utcnow

PING = "PING"


class Shape(BaseModel):
    """What one notification type carries: its required fields (beyond `notificationType`) and the
    field with the event's own time."""

    model_config = ConfigDict(frozen=True)

    required: frozenset[str]
    time_field: str


def _shape(time_field: str, *ids: str) -> Shape:
    return Shape(required=frozenset((*ids, time_field)), time_field=time_field)


SHAPES: dict[str, Shape] = {
    PING: Shape(required=frozenset(), time_field="time"),
    "ORDER_CREATED": _shape("createdAt", "orderId", "campaignId", "items"),
    "ORDER_STATUS_UPDATED": _shape("updatedAt", "orderId", "campaignId", "status", "substatus"),
    "ORDER_CANCELLATION_REQUEST": _shape("requestedAt", "orderId", "campaignId"),
    "ORDER_CANCELLED": _shape("cancelledAt", "orderId", "campaignId", "items"),
    "ORDER_UPDATED": _shape("updatedAt", "orderId", "campaignId", "updateType"),
    "ORDER_RETURN_CREATED": _shape("createdAt", "orderId", "returnId", "returnType", "campaignId", "items"),
    "ORDER_RETURN_STATUS_UPDATED": _shape("updatedAt", "orderId", "returnId", "campaignId", "statuses"),
    "GOODS_FEEDBACK_CREATED": _shape("createdAt", "feedbackId", "businessId", "publishedAt"),
    "GOODS_FEEDBACK_COMMENT_CREATED": _shape("createdAt", "commentId", "businessId"),
    "CHAT_CREATED": _shape("createdAt", "chatId", "businessId"),
    "CHAT_MESSAGE_SENT": _shape("sentAt", "chatId", "messageId", "businessId"),
    "CHAT_ARBITRAGE_STARTED": _shape("startedAt", "chatId", "businessId"),
    "CHAT_ARBITRAGE_FINISHED": _shape("finishedAt", "chatId", "businessId"),
    "QUESTION_CREATED": _shape("createdAt", "questionId", "businessId"),
    "QUESTION_ANSWER_CREATED": _shape("createdAt", "answerId", "businessId"),
    "QUESTION_COMMENT_CREATED": _shape("createdAt", "answerId", "commentId", "businessId"),
}


class UnknownEvent(ValueError):
    """A well-formed notification of a type this version does not know (the Market added one): it is
    answered 200 and not kept (its payload is not known to be free of a buyer's data)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"unknown notificationType {kind[:60]!r}")
        self.kind = kind


class MarketEvent(BaseModel):
    """One notification: its type, the ids it names, the event's own time (aware UTC) and the raw
    payload (small; these payloads carry no buyer's data)."""

    model_config = ConfigDict(frozen=True)

    kind: str  # notificationType, e.g. "ORDER_CANCELLATION_REQUEST", "PING"
    campaign_id: int | None = None
    order_id: int | None = None
    chat_id: int | None = None
    business_id: int | None = None
    message_id: int | None = None  # a chat message's (CHAT_MESSAGE_SENT)
    at: dt.datetime  # requestedAt, createdAt, updatedAt, cancelledAt, sentAt...
    payload: dict[str, Any]


ID_MAX = 2**63 - 1  # the largest id SQLite stores as an integer
CLOCK_SKEW = dt.timedelta(minutes=5)  # how far ahead of ours the Market's clock may be


class _Ids(BaseModel):
    """The ids and the type every notification may carry, checked strictly (a string is not an id)."""

    notificationType: StrictStr
    campaignId: StrictInt | None = None
    orderId: StrictInt | None = None
    chatId: StrictInt | None = None
    businessId: StrictInt | None = None
    messageId: StrictStr | StrictInt | None = None  # the contract's is a string of digits


class _Moment(BaseModel):
    at: dt.datetime


def parse_event(body: dict[str, Any]) -> MarketEvent:
    """The event a notification's JSON body tells; ValueError when it is malformed (a required field
    missing, an id that is not an integer, a time that is not ISO 8601), `UnknownEvent` (a
    ValueError too) for a type not in the contract. A time without an offset is the Market's own,
    Moscow's; PING's optional `time`, missing, is now."""
    if not isinstance(body, dict):
        raise ValueError("the notification is not a JSON object")  # noqa: TRY004 - a malformed one
    try:
        ids = _Ids.model_validate(body)
    except ValidationError as exc:
        raise ValueError(_first_error(exc)) from None
    shape = SHAPES.get(ids.notificationType)
    if shape is None:
        raise UnknownEvent(ids.notificationType)
    missing = sorted(shape.required - body.keys())
    if missing:
        raise ValueError(f"{ids.notificationType} without {', '.join(missing)}")
    for name in ("campaignId", "businessId", "orderId", "chatId"):  # positive, and what SQLite holds
        value = getattr(ids, name)
        if value is not None and not 1 <= value <= ID_MAX:
            raise ValueError(f"{name} must be a positive integer of at most 19 digits")
    message_id = _message_id(ids.messageId)
    if message_id is None and "messageId" in shape.required:
        raise ValueError(f"{ids.notificationType} without messageId")
    at = _moment(body.get(shape.time_field), shape.time_field)
    if at > utcnow() + CLOCK_SKEW:
        raise ValueError(f"{shape.time_field} is in the future")
    # Only what the contract names for this type is kept: anything else a sender adds (a buyer's
    # data, padding) is dropped here, before it could reach the inbox.
    known = shape.required | {"notificationType", shape.time_field}
    return MarketEvent(
        kind=ids.notificationType,
        campaign_id=ids.campaignId,
        order_id=ids.orderId,
        chat_id=ids.chatId,
        business_id=ids.businessId,
        message_id=message_id,
        at=at,
        payload={name: value for name, value in body.items() if name in known},
    )


def _message_id(value: str | int | None) -> int | None:
    """`messageId` as a number: the contract sends it as a string of digits (a number is taken too);
    anything else, or an id SQLite cannot hold, is malformed."""
    if value is None:
        return None
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9]{1,19}", value):
            raise ValueError("messageId must be a positive integer of at most 19 digits")
        value = int(value)
    if not 1 <= value <= ID_MAX:
        raise ValueError("messageId must be a positive integer of at most 19 digits")
    return value


def _moment(value: Any, name: str) -> dt.datetime:
    if value is None and name == "time":  # PING's time is optional
        return utcnow()
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO 8601 date and time")  # noqa: TRY004 - malformed
    try:
        at = _Moment.model_validate({"at": value}).at
    except ValidationError:
        raise ValueError(f"{name} must be an ISO 8601 date and time") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=MSK)
    try:
        return at.astimezone(dt.UTC)
    except OverflowError:  # year 1 or 9999 with an offset
        raise ValueError(f"{name} is out of range") from None


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "the notification"
    return f"{where}: {first['msg']}"
