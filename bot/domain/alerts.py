"""Alerts: the events the order poller reports, who gets them, and the 48 hours of a cancellation request.

A buyer may ask to cancel an order that is already out for delivery (DELIVERY or PICKUP). The shop
answers with acceptOrderCancellation; unanswered, the Market cancels the order 48 hours after the
request. The bot alerts the owner and the courier who last acted on the order, and reminds them when
6 hours are left.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.domain.clock import MSK
from bot.domain.market_data import OrderStatus
from bot.domain.records import Role

CANCEL_WINDOW = dt.timedelta(hours=48)
REMIND_LEFT = dt.timedelta(hours=6)
DIGEST_AT = dt.time(9, 0)  # Moscow time
DIGEST_LATEST = dt.time(21, 0)  # a bot down all morning sends the day's digest until then, not after
CANCEL_STATUSES = (OrderStatus.DELIVERY, OrderStatus.PICKUP)


class Switch(StrEnum):
    """What a user can switch on or off in /alerts."""

    CANCEL = "cancel"
    NEW_ORDER = "new"
    DIGEST = "digest"
    CHAT = "chat"  # buyers' messages


DEFAULTS: dict[Switch, frozenset[Role]] = {  # who has a switch on until they change it
    Switch.CANCEL: frozenset({Role.OWNER, Role.COURIER}),
    Switch.NEW_ORDER: frozenset({Role.OWNER}),
    Switch.DIGEST: frozenset({Role.OWNER}),
    Switch.CHAT: frozenset({Role.OWNER, Role.COURIER}),
}


def is_on(switch: Switch, role: Role, chosen: bool | None) -> bool:
    """A user's switch: what they chose, else their role's default."""
    return chosen if chosen is not None else role in DEFAULTS[switch]


class AlertKind(StrEnum):
    CANCEL = "cancel"  # a buyer asked to cancel
    REMINDER = "cancel_reminder"  # ... and 6 hours are left
    NEW_ORDER = "new_order"
    DIGEST = "digest"

    @property
    def switch(self) -> Switch:
        if self in (AlertKind.CANCEL, AlertKind.REMINDER):
            return Switch.CANCEL
        return Switch.NEW_ORDER if self is AlertKind.NEW_ORDER else Switch.DIGEST


CANCEL_KINDS = (AlertKind.CANCEL, AlertKind.REMINDER)  # the alerts about a cancellation request


class Answer(StrEnum):
    """The three answers to a cancellation request, as acceptOrderCancellation takes them."""

    ACCEPT = "accept"  # cancel the order
    DELIVERED = "ORDER_DELIVERED"  # refuse: the buyer has it
    IN_DELIVERY = "ORDER_IN_DELIVERY"  # refuse: the courier has it

    @property
    def accepted(self) -> bool:
        return self is Answer.ACCEPT


# How a request was settled when not by an answer from the bot (kept as its answer):
SETTLED_BY_MARKET = "cancelled"  # the order was cancelled (the buyer got their way, or time ran out)
SETTLED_ELSEWHERE = "elsewhere"  # answered in the Market's cabinet


class DigestLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    order_id: int
    day: dt.date


class Facts(BaseModel):
    """What an alert's message says about its order (no buyer data: no name, phone or address)."""

    model_config = ConfigDict(frozen=True)

    status: str | None = None
    day: dt.date | None = None  # the delivery day
    items: int = 0
    requested_at: dt.datetime | None = None  # when the buyer asked to cancel
    overdue: list[DigestLine] = []
    today: list[DigestLine] = []


class Alert(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    shop_id: int
    order_id: int
    kind: AlertKind
    facts: Facts
    answered_by: int | None = None
    answer: str | None = None
    answered_at: dt.datetime | None = None
    created_at: dt.datetime

    @property
    def deadline(self) -> dt.datetime | None:
        """When the Market cancels the order by itself (cancellation requests only)."""
        at = self.facts.requested_at
        return at + CANCEL_WINDOW if at is not None else None

    @property
    def answered(self) -> bool:
        return self.answer is not None and self.answered_at is not None


def time_left(deadline: dt.datetime, now: dt.datetime) -> dt.timedelta:
    return max(deadline - now, dt.timedelta(0))


def digest_due(now: dt.datetime, last_day: dt.date | None) -> dt.date | None:
    """The Moscow day whose digest is due now (from 09:00 until 21:00 if not sent yet), or None."""
    local = now.astimezone(MSK)
    today = local.date()
    if last_day is not None and last_day >= today:
        return None
    return today if DIGEST_AT <= local.time() < DIGEST_LATEST else None
