"""What the bot keeps about people, shops and teams (repositories return these, never rows)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.domain.market_data import DeliveryDateReason
from bot.domain.operations import Action


class Role(StrEnum):
    OWNER = "owner"
    COURIER = "courier"


class CourierDates(StrEnum):
    """May couriers move delivery dates? The shop's reason counts against the shop, so by default a
    courier may move a date only when the buyer asked."""

    BUYER = "buyer"
    ANY = "any"
    NONE = "none"

    def allows(self, reason: DeliveryDateReason) -> bool:
        return self is CourierDates.ANY or (
            self is CourierDates.BUYER and reason is DeliveryDateReason.USER_MOVED
        )


class OperationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class User(Record):
    id: int
    language: str
    name: str | None = None

    @property
    def label(self) -> str:
        return self.name or f"id {self.id}"


class Shop(Record):
    """A connected Market campaign. The API key is not here: ask for it explicitly where it is needed."""

    id: int
    campaign_id: int
    domain: str | None
    business_id: int | None
    business_name: str | None
    placement_type: str | None
    owner_id: int
    notify_owner: bool = False
    courier_dates: CourierDates = CourierDates.BUYER
    couriers_write: bool = True  # may couriers write to buyers (the owner always may)

    @property
    def title(self) -> str:
        return self.domain or str(self.campaign_id)


class Membership(Record):
    user_id: int
    shop_id: int
    role: Role


class ShopMembership(Record):
    """A shop as one user sees it: the shop and that user's role in it."""

    shop: Shop
    role: Role


class Member(Record):
    """A member of a shop's team as the owner sees it."""

    user_id: int
    role: Role
    name: str | None

    @property
    def label(self) -> str:
        return self.name or f"id {self.user_id}"


class Operation(Record):
    """A confirmed change to one order, recorded before it is sent; `action` says what it sets."""

    id: int
    user_id: int
    shop_id: int
    order_id: int
    action: Action
    status: OperationStatus
    attempts: int
    last_error: str | None
    idempotency_key: str | None
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    batch_id: int | None = None  # one line of a bulk send

    @property
    def pending(self) -> bool:
        return self.status in (OperationStatus.PENDING, OperationStatus.SENDING)


class Invite(Record):
    shop_id: int
    expires_at: dt.datetime
    used_by: int | None


class DeliveryServiceRef(Record):
    id: int
    name: str


class Batch(Record):
    """A bulk send: many track codes confirmed with one «Отправить все», each line an operation."""

    id: int
    user_id: int
    shop_id: int
    size: int
    message_id: int | None
    reported: bool
    created_at: dt.datetime


class BatchSummary(Record):
    """A batch as /history lists it: how its lines stand."""

    batch: Batch
    done: int
    failed: int
    retrying: int  # failed once, to be tried again by the retry worker
    waiting: int  # not ended yet: not sent, being sent or retrying


class ChatDue(Record):
    """A buyer's message still to be told to one user (ids only: the text is read from the Market)."""

    shop_id: int
    chat_id: int
    message_id: int
    order_id: int | None
    user_id: int


class ChatPost(Record):
    """A Telegram message a buyer's message became in one user's chat: its header (text and buttons)
    or one of its files. A reply to it goes to `chat_id`; `answered_by` is who answered (headers)."""

    user_id: int
    tg_message_id: int
    shop_id: int
    chat_id: int
    message_id: int
    order_id: int | None
    header: bool
    answered_by: int | None
