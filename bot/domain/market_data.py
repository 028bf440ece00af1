"""The Market's records the bot reasons about: orders, their statuses and delivery, shops (campaigns),
the buyer. Only the fields the bot reads; unknown fields never break a read. The Market client parses its
answers into these (`bot.market.models` holds the requests and response envelopes around them)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class MarketModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class OrderStatus(StrEnum):
    PLACING = "PLACING"
    RESERVED = "RESERVED"
    UNPAID = "UNPAID"
    PROCESSING = "PROCESSING"
    DELIVERY = "DELIVERY"
    PICKUP = "PICKUP"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"
    PENDING = "PENDING"
    PARTIALLY_RETURNED = "PARTIALLY_RETURNED"
    RETURNED = "RETURNED"
    UNKNOWN = "UNKNOWN"


TRACK_ALLOWED_STATUSES = frozenset({OrderStatus.PROCESSING, OrderStatus.DELIVERY, OrderStatus.PICKUP})
DATE_ALLOWED_STATUSES = frozenset({OrderStatus.PROCESSING, OrderStatus.DELIVERY})


class DeliveryDateReason(StrEnum):
    USER_MOVED = "USER_MOVED_DELIVERY_DATES"
    PARTNER_MOVED = "PARTNER_MOVED_DELIVERY_DATES"


class Business(MarketModel):
    id: int | None = None
    name: str | None = None


class Campaign(MarketModel):
    id: int
    domain: str | None = None
    business: Business | None = None
    placement_type: str | None = None
    api_availability: str | None = None

    @property
    def is_dbs(self) -> bool:
        return self.placement_type == "DBS"

    @property
    def is_available(self) -> bool:
        return self.api_availability in (None, "AVAILABLE")


class OrderTrack(MarketModel):
    track_code: str | None = None
    delivery_service_id: int


class OrderItem(MarketModel):
    id: int
    offer_id: str | None = None
    offer_name: str
    count: int


class DeliveryAddress(MarketModel):
    country: str | None = None
    postcode: str | None = None
    city: str | None = None
    district: str | None = None
    subway: str | None = None
    street: str | None = None
    house: str | None = None
    block: str | None = None
    entrance: str | None = None
    entryphone: str | None = None
    floor: str | None = None
    apartment: str | None = None


class CourierDelivery(MarketModel):
    address: DeliveryAddress | None = None


class PickupDelivery(MarketModel):
    address: DeliveryAddress | None = None
    outlet_code: str | None = None


class BusinessOrderDates(MarketModel):
    """getBusinessOrders gives dates as YYYY-MM-DD (the old order calls: DD-MM-YYYY)."""

    from_date: dt.date
    to_date: dt.date | None = None
    from_time: str | None = None
    to_time: str | None = None
    real_delivery_date: dt.date | None = None


class BusinessOrderDelivery(MarketModel):
    type: str | None = None
    service_name: str | None = None
    delivery_service_id: int | None = None
    dates: BusinessOrderDates | None = None
    courier: CourierDelivery | None = None
    pickup: PickupDelivery | None = None
    tracks: list[OrderTrack] | None = None


class BusinessOrder(MarketModel):
    """An order as getBusinessOrders gives it (the replacement of getOrder/getOrders). Only the fields
    the bot reads; unknown statuses and extra fields never break a read."""

    order_id: int
    campaign_id: int
    status: Annotated[OrderStatus | str, Field(union_mode="left_to_right")]
    substatus: str | None = None
    creation_date: dt.datetime | None = None
    update_date: dt.datetime | None = None
    items: list[OrderItem] = Field(default_factory=list)
    delivery: BusinessOrderDelivery | None = None
    cancel_requested: bool = False

    @property
    def can_take_track(self) -> bool:
        return self.status in TRACK_ALLOWED_STATUSES

    @property
    def can_move_date(self) -> bool:
        return self.status in DATE_ALLOWED_STATUSES

    @property
    def delivery_service_id(self) -> int | None:
        """The delivery service the order names (offered first when a track code is sent)."""
        return self.delivery.delivery_service_id if self.delivery else None

    @property
    def track_code(self) -> str | None:
        """The track code the order has now (a new one replaces it)."""
        tracks = (self.delivery.tracks if self.delivery else None) or []
        return next((t.track_code for t in tracks if t.track_code), None)


class BuyerInfo(MarketModel):
    """The buyer's name and substitute phone (getOrderBuyerInfo): personal data, shown to the shop's
    team only, never logged or stored."""

    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    phone: str | None = None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)
