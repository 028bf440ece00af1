"""The Market's push notifications (API-уведомления) as one small event: its type, the ids it names and
its own time. The payloads carry no buyer data; what an event is about is read from the Market."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from bot.domain.clock import utcnow

# Where each type keeps its own time (the first one present; PING's `time` is optional).
TIME_FIELDS = ("requestedAt", "cancelledAt", "updatedAt", "createdAt", "sentAt", "startedAt", "finishedAt")
ORDER_IDS = ("orderId", "campaignId")  # every ORDER_* notification names both
CHAT_IDS = ("chatId", "businessId")  # every CHAT_* notification names both

_moment = TypeAdapter(dt.datetime)


class MarketEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str  # notificationType, e.g. "ORDER_CANCELLATION_REQUEST", "PING"
    campaign_id: int | None = None
    order_id: int | None = None
    chat_id: int | None = None
    business_id: int | None = None
    at: dt.datetime  # the event's own time (requestedAt, createdAt, updatedAt, sentAt...), aware UTC
    payload: dict[str, Any]  # the raw small payload (no buyer data is in these payloads)


def _id(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} is not a positive integer")
    return value


def _time(raw: object, name: str) -> dt.datetime:
    try:
        moment = _moment.validate_python(raw)
    except ValidationError:
        raise ValueError(f"{name} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise ValueError(f"{name} has no offset from UTC")
    return moment.astimezone(dt.UTC)


def parse_event(body: dict[str, Any]) -> MarketEvent:
    """The event a notification's body describes. Raises ValueError for a malformed one: no type, an
    id that is not a positive integer, an order or chat event without its ids, no time of its own."""
    kind = body.get("notificationType")
    if not isinstance(kind, str) or not kind:
        raise ValueError("notificationType is missing")
    needed = ORDER_IDS if kind.startswith("ORDER_") else CHAT_IDS if kind.startswith("CHAT_") else ()
    missing = [name for name in needed if body.get(name) is None]
    if missing:
        raise ValueError(f"{kind} without {', '.join(missing)}")
    named = next((name for name in TIME_FIELDS if body.get(name) is not None), None)
    if named is not None:
        at = _time(body[named], named)
    elif kind == "PING":
        at = _time(body["time"], "time") if body.get("time") is not None else utcnow()
    else:
        raise ValueError(f"{kind} without its time")
    return MarketEvent(
        kind=kind,
        campaign_id=_id(body, "campaignId"),
        order_id=_id(body, "orderId"),
        chat_id=_id(body, "chatId"),
        business_id=_id(body, "businessId"),
        at=at,
        payload=body,
    )
