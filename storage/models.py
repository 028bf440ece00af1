"""What the repositories return."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class Role(StrEnum):
    OWNER = "owner"
    COURIER = "courier"


class OperationKind(StrEnum):
    TRACK = "track"
    DATE = "date"


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
    """A connected Market campaign. The API key is not here: ask the repository for it explicitly."""

    id: int
    campaign_id: int
    domain: str | None
    business_id: int | None
    business_name: str | None
    placement_type: str | None
    owner_id: int
    notify_owner: bool = False

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


class Operation(Record):
    id: int
    user_id: int
    shop_id: int
    order_id: int
    kind: OperationKind
    payload: dict[str, Any]
    status: OperationStatus
    attempts: int
    last_error: str | None
    idempotency_key: str | None
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class Member(Record):
    """A member of a shop's team as the owner sees it."""

    user_id: int
    role: Role
    name: str | None

    @property
    def label(self) -> str:
        return self.name or f"id {self.user_id}"


class RedeemResult(StrEnum):
    JOINED = "joined"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    ALREADY_MEMBER = "already_member"


class DeliveryServiceRef(Record):
    id: int
    name: str
