"""The Market's request bodies and response envelopes (only the fields the bot reads). The records
inside them (orders, campaigns, the buyer) are the domain's: `bot.domain.market_data`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, PlainSerializer

from bot.domain.chats import Chat, ChatHistory, ChatMessage, ChatStatus, ChatType, ContextType
from bot.domain.market_data import (
    BusinessOrder,
    BuyerInfo,
    Campaign,
    DeliveryDateReason,
    MarketModel,
    OrderStatus,
)

IsoDate = Annotated[dt.date, PlainSerializer(lambda d: d.isoformat(), return_type=str)]
IsoDateTime = Annotated[
    dt.datetime, PlainSerializer(lambda d: d.isoformat(timespec="seconds"), return_type=str)
]


class DeliveryService(MarketModel):
    id: int
    name: str


class Paging(MarketModel):
    next_page_token: str | None = None


class PagedResponse(MarketModel):
    """A page of a listing (a `bot.market.paging.Page`): the token of the next page is in `paging`."""

    paging: Paging | None = None

    @property
    def next_page_token(self) -> str | None:
        return self.paging.next_page_token if self.paging else None


class TokenInfo(MarketModel):
    name: str
    auth_scopes: list[str]

    @property
    def can_process_orders(self) -> bool:
        return bool({"ALL_METHODS", "INVENTORY_AND_ORDER_PROCESSING"} & set(self.auth_scopes))

    @property
    def can_chat(self) -> bool:
        """The key reaches buyers' chats (`communication`; `all-methods` reaches everything)."""
        return bool({"ALL_METHODS", "COMMUNICATION"} & set(self.auth_scopes))


class TokenResult(MarketModel):
    api_key: TokenInfo


# Response envelopes: each body is parsed into one of these once, in the client.


class CampaignsResponse(PagedResponse):
    campaigns: list[Campaign] = Field(default_factory=list)

    @property
    def items(self) -> list[Campaign]:
        return self.campaigns


class CampaignResponse(MarketModel):
    campaign: Campaign


class DeliveryServicesResult(MarketModel):
    delivery_service: list[DeliveryService] = Field(default_factory=list)


class DeliveryServicesResponse(MarketModel):
    result: DeliveryServicesResult | None = None


class BusinessOrdersResponse(PagedResponse):
    orders: list[BusinessOrder] = Field(default_factory=list)

    @property
    def items(self) -> list[BusinessOrder]:
        return self.orders


class OrderDatesFilter(MarketModel):
    creation_date_from: IsoDate | None = None
    creation_date_to: IsoDate | None = None  # exclusive; a window spans at most 30 days
    update_date_from: IsoDateTime | None = None
    update_date_to: IsoDateTime | None = None


class BusinessOrdersRequest(MarketModel):
    order_ids: list[int] | None = None
    campaign_ids: list[int] | None = None
    statuses: list[OrderStatus] | None = None
    dates: OrderDatesFilter | None = None
    waiting_for_cancellation_approve: bool | None = None


class TokenInfoResponse(MarketModel):
    result: TokenResult


class SetTrackCodeRequest(MarketModel):
    track_code: str
    delivery_service_id: int


class DeliveryDates(MarketModel):
    to_date: IsoDate


class SetDeliveryDateRequest(MarketModel):
    dates: DeliveryDates
    reason: DeliveryDateReason


class StatusChangeDates(MarketModel):
    real_delivery_date: IsoDate | None = None


class StatusChangeDelivery(MarketModel):
    dates: StatusChangeDates


class StatusChange(MarketModel):
    status: OrderStatus
    substatus: str | None = None
    delivery: StatusChangeDelivery | None = None


class UpdateOrderStatusRequest(MarketModel):
    order: StatusChange


class AcceptOrderCancellationRequest(MarketModel):
    accepted: bool
    reason: str | None = None  # ORDER_DELIVERED or ORDER_IN_DELIVERY, required when not accepted


class BuyerInfoResponse(MarketModel):
    result: BuyerInfo | None = None


# Buyers' chats: the records are the domain's (`bot.domain.chats`).


class ChatContextRef(MarketModel):
    """Which chat createChat makes, or getChats keeps: an order's (or a return's)."""

    type: ContextType
    id: int


class CreateChatRequest(MarketModel):
    context: ChatContextRef


class CreateChatResult(MarketModel):
    chat_id: int


class CreateChatResponse(MarketModel):
    result: CreateChatResult


class ChatsRequest(MarketModel):
    statuses: list[ChatStatus] | None = None
    types: list[ChatType] | None = None
    contexts: list[ChatContextRef] | None = None


class ChatsPage(PagedResponse):
    """One page of getChats: `chats`, and `next_page_token` (None: the last page)."""

    chats: list[Chat] = Field(default_factory=list)

    @property
    def items(self) -> list[Chat]:
        return self.chats


class ChatsResponse(MarketModel):
    result: ChatsPage


class ChatResponse(MarketModel):
    result: Chat


class ChatHistoryRequest(MarketModel):
    message_id_from: int | None = None


class ChatHistoryResponse(MarketModel):
    result: ChatHistory


class ChatMessageResponse(MarketModel):
    result: ChatMessage


class SendMessageRequest(MarketModel):
    message: str
