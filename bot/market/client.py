"""One typed async method per Market endpoint the bot uses.

API keys differ per shop, so each method takes the key; the transport underneath is shared, which is
what lets it keep the per-key limits process-wide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable
from typing import Any, Literal, TypedDict, Unpack

from bot.domain.chats import (
    FILE_LIMIT,
    Chat,
    ChatHistory,
    ChatMessage,
    ChatStatus,
    ChatType,
    ContextType,
    FileTooLarge,
)
from bot.domain.market_data import BusinessOrder, BuyerInfo, Campaign, DeliveryDateReason, OrderStatus
from bot.market.models import (
    AcceptOrderCancellationRequest,
    BusinessOrdersRequest,
    BusinessOrdersResponse,
    BuyerInfoResponse,
    CampaignResponse,
    CampaignsResponse,
    ChatContextRef,
    ChatHistoryRequest,
    ChatHistoryResponse,
    ChatMessageResponse,
    ChatResponse,
    ChatsPage,
    ChatsRequest,
    ChatsResponse,
    CreateChatRequest,
    CreateChatResponse,
    DeliveryDates,
    DeliveryService,
    DeliveryServicesResponse,
    OrderDatesFilter,
    SendMessageRequest,
    SetDeliveryDateRequest,
    SetTrackCodeRequest,
    StatusChange,
    StatusChangeDates,
    StatusChangeDelivery,
    TokenInfo,
    TokenInfoResponse,
    UpdateOrderStatusRequest,
)
from bot.market.paging import Pages
from bot.market.transport import HourlyBudget, MarketTransport

CAMPAIGNS = "/v2/campaigns"
CAMPAIGN = "/v2/campaigns/{campaignId}"
BUSINESS_ORDERS = "/v1/businesses/{businessId}/orders"
BUSINESS_ORDERS_PAGE_SIZE = 50  # the spec's maximum for `limit`
TRACK = "/v2/campaigns/{campaignId}/orders/{orderId}/delivery/track"
DELIVERY_DATE = "/v2/campaigns/{campaignId}/orders/{orderId}/delivery/date"
ORDER_STATUS = "/v2/campaigns/{campaignId}/orders/{orderId}/status"
CANCELLATION = "/v2/campaigns/{campaignId}/orders/{orderId}/cancellation/accept"
BUYER = "/v2/campaigns/{campaignId}/orders/{orderId}/buyer"
DELIVERY_SERVICES = "/v2/delivery/services"
TOKEN_INFO = "/v2/auth/token"  # noqa: S105 - a path, not a password
# Buyers' chats: the chat and the message are named in the query (chatId, messageId).
CREATE_CHAT = "/v2/businesses/{businessId}/chats/new"
CHATS = "/v2/businesses/{businessId}/chats"
CHAT = "/v2/businesses/{businessId}/chat"
CHAT_MESSAGE = "/v2/businesses/{businessId}/chats/message"
CHAT_HISTORY = "/v2/businesses/{businessId}/chats/history"
CHAT_FILE = "/v2/businesses/{businessId}/chats/file/send"
CHATS_PAGE_SIZE = 20  # the spec's maximum for getChats' `limit`
CHAT_HISTORY_PAGE_SIZE = 100  # and for getChatHistory's

CAMPAIGNS_PAGE_SIZE = 100  # the spec's maximum for `limit`
MAX_CAMPAIGN_PAGES = 50

# The endpoints whose hourly budget a caller reads, by the spec's name for them.
Budgeted = Literal["getBusinessOrders", "getChats", "getChatHistory"]
_BUDGETED: dict[Budgeted, tuple[str, str]] = {
    "getBusinessOrders": ("POST", BUSINESS_ORDERS),
    "getChats": ("POST", CHATS),
    "getChatHistory": ("POST", CHAT_HISTORY),
}


class OrderQuery(TypedDict, total=False):
    """Which orders getBusinessOrders lists. Without dates the Market searches orders created in the
    last 30 days; a window [created_from, created_to) spans at most 30 days. `updated_from` and
    `updated_to` keep only orders last changed in that window (the alerts poller: a fixed window keeps
    its pages still while it reads them)."""

    order_ids: list[int] | None
    campaign_ids: list[int] | None
    statuses: list[OrderStatus] | None
    created_from: dt.date | None
    created_to: dt.date | None
    updated_from: dt.datetime | None
    updated_to: dt.datetime | None
    waiting_for_cancellation: bool | None


class ChatQuery(TypedDict, total=False):
    """Which chats getChats lists (all of the business's when none is given)."""

    statuses: list[ChatStatus] | None
    types: list[ChatType] | None
    order_ids: list[int] | None


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _page_params(limit: int, page_token: str | None) -> dict[str, str | int]:
    params: dict[str, str | int] = {"limit": limit}
    if page_token:
        params["pageToken"] = page_token
    return params


class MarketClient:
    def __init__(self, transport: MarketTransport) -> None:
        self.transport = transport

    def hourly_budget(self, api_key: str, endpoint: Budgeted) -> HourlyBudget | None:
        """What the Market last said of the key's hourly budget for the endpoint (None until it said)."""
        method, path = _BUDGETED[endpoint]
        return self.transport.budget(api_key, method, path)

    async def get_campaigns(self, api_key: str) -> list[Campaign]:
        """Every shop the key reaches (all pages, at most MAX_CAMPAIGN_PAGES)."""

        async def page(token: str | None) -> CampaignsResponse:
            params = _page_params(CAMPAIGNS_PAGE_SIZE, token)
            body = await self.transport.request("GET", CAMPAIGNS, api_key=api_key, params=params)
            return CampaignsResponse.model_validate(body)

        return [c async for c in Pages(page, max_pages=MAX_CAMPAIGN_PAGES).items()]

    async def get_campaign(self, api_key: str, campaign_id: int) -> Campaign:
        body = await self.transport.request(
            "GET", CAMPAIGN, api_key=api_key, path_params={"campaignId": campaign_id}
        )
        return CampaignResponse.model_validate(body).campaign

    def business_orders(
        self, api_key: str, business_id: int, **query: Unpack[OrderQuery]
    ) -> AsyncIterator[BusinessOrder]:
        """Every order of the business that `query` finds, page after page as they are used:
        `async for order in client.business_orders(...)`."""
        return self.business_order_pages(api_key, business_id, **query).items()

    def business_order_pages(
        self,
        api_key: str,
        business_id: int,
        *,
        page_token: str | None = None,
        max_pages: int | None = None,
        **query: Unpack[OrderQuery],
    ) -> Pages[BusinessOrder]:
        """The pages of the business's orders that `query` finds, from the page `page_token` names, at
        most `max_pages` of them; after reading, `next_token` says where to go on (None: all read)."""

        def page(token: str | None) -> Awaitable[BusinessOrdersResponse]:
            return self.get_business_orders(api_key, business_id, page_token=token, **query)

        return Pages(page, token=page_token, max_pages=max_pages)

    async def get_business_orders(
        self,
        api_key: str,
        business_id: int,
        *,
        page_token: str | None = None,
        limit: int = BUSINESS_ORDERS_PAGE_SIZE,
        **query: Unpack[OrderQuery],
    ) -> BusinessOrdersResponse:
        """One page of a business's orders (getBusinessOrders); see `OrderQuery` for what it lists."""
        created_from, created_to = query.get("created_from"), query.get("created_to")
        updated_from, updated_to = query.get("updated_from"), query.get("updated_to")
        dates = (
            OrderDatesFilter(
                creation_date_from=created_from,
                creation_date_to=created_to,
                update_date_from=updated_from,
                update_date_to=updated_to,
            )
            if created_from or created_to or updated_from or updated_to
            else None
        )
        request = BusinessOrdersRequest(
            order_ids=query.get("order_ids"),
            campaign_ids=query.get("campaign_ids"),
            statuses=query.get("statuses"),
            dates=dates,
            waiting_for_cancellation_approve=query.get("waiting_for_cancellation"),
        )
        body = await self.transport.request(
            "POST",
            BUSINESS_ORDERS,
            api_key=api_key,
            path_params={"businessId": business_id},
            params=_page_params(limit, page_token),
            json=_dump(request),
            retry=True,  # a read, though it is a POST
        )
        return BusinessOrdersResponse.model_validate(body)

    async def set_track_code(
        self,
        api_key: str,
        campaign_id: int,
        order_id: int,
        *,
        track_code: str,
        delivery_service_id: int,
    ) -> None:
        request = SetTrackCodeRequest(track_code=track_code, delivery_service_id=delivery_service_id)
        await self.transport.request(
            "POST",
            TRACK,
            api_key=api_key,
            path_params={"campaignId": campaign_id, "orderId": order_id},
            json=_dump(request),
        )

    async def set_delivery_date(
        self,
        api_key: str,
        campaign_id: int,
        order_id: int,
        *,
        to_date: dt.date,
        reason: DeliveryDateReason,
    ) -> None:
        request = SetDeliveryDateRequest(dates=DeliveryDates(to_date=to_date), reason=reason)
        await self.transport.request(
            "PUT",
            DELIVERY_DATE,
            api_key=api_key,
            path_params={"campaignId": campaign_id, "orderId": order_id},
            json=_dump(request),
        )

    async def update_order_status(
        self,
        api_key: str,
        campaign_id: int,
        order_id: int,
        *,
        status: OrderStatus,
        substatus: str | None = None,
        real_delivery_date: dt.date | None = None,
    ) -> None:
        """updateOrderStatus: one DBS step (DELIVERY, PICKUP, DELIVERED, CANCELLED/SHOP_FAILED).
        `real_delivery_date` only for PICKUP or DELIVERED on a day other than today."""
        delivery = (
            StatusChangeDelivery(dates=StatusChangeDates(real_delivery_date=real_delivery_date))
            if real_delivery_date is not None
            else None
        )
        request = UpdateOrderStatusRequest(
            order=StatusChange(status=status, substatus=substatus, delivery=delivery)
        )
        await self.transport.request(
            "PUT",
            ORDER_STATUS,
            api_key=api_key,
            path_params={"campaignId": campaign_id, "orderId": order_id},
            json=_dump(request),
        )

    async def accept_order_cancellation(
        self, api_key: str, campaign_id: int, order_id: int, *, accepted: bool, reason: str | None = None
    ) -> None:
        """acceptOrderCancellation: answer a buyer's request to cancel an order out for delivery."""
        request = AcceptOrderCancellationRequest(accepted=accepted, reason=reason)
        await self.transport.request(
            "PUT",
            CANCELLATION,
            api_key=api_key,
            path_params={"campaignId": campaign_id, "orderId": order_id},
            json=_dump(request),
        )

    async def get_buyer_info(self, api_key: str, campaign_id: int, order_id: int) -> BuyerInfo:
        """getOrderBuyerInfo: the buyer's name and substitute phone, for the courier (DBS)."""
        body = await self.transport.request(
            "GET", BUYER, api_key=api_key, path_params={"campaignId": campaign_id, "orderId": order_id}
        )
        return BuyerInfoResponse.model_validate(body).result or BuyerInfo()

    async def get_delivery_services(self, api_key: str, *, retry: bool = True) -> list[DeliveryService]:
        body = await self.transport.request("GET", DELIVERY_SERVICES, api_key=api_key, retry=retry)
        result = DeliveryServicesResponse.model_validate(body).result
        return list(result.delivery_service) if result else []

    async def get_token_info(self, api_key: str) -> TokenInfo:
        body = await self.transport.request("POST", TOKEN_INFO, api_key=api_key)
        return TokenInfoResponse.model_validate(body).result.api_key

    # --- buyers' chats (scope `communication` or `all-methods`) ------------------------------

    async def create_chat(self, api_key: str, business_id: int, order_id: int) -> int:
        """createChat for an order: the id of its chat, new or the one it has."""
        request = CreateChatRequest(context=ChatContextRef(type=ContextType.ORDER, id=order_id))
        body = await self.transport.request(
            "POST",
            CREATE_CHAT,
            api_key=api_key,
            path_params={"businessId": business_id},
            json=_dump(request),
        )
        return CreateChatResponse.model_validate(body).result.chat_id

    async def get_chats(
        self,
        api_key: str,
        business_id: int,
        *,
        page_token: str | None = None,
        limit: int = CHATS_PAGE_SIZE,
        **query: Unpack[ChatQuery],
    ) -> ChatsPage:
        """One page of the business's chats (getChats), the least recently updated first."""
        order_ids = query.get("order_ids")
        request = ChatsRequest(
            statuses=query.get("statuses"),
            types=query.get("types"),
            contexts=[ChatContextRef(type=ContextType.ORDER, id=i) for i in order_ids] if order_ids else None,
        )
        body = await self.transport.request(
            "POST",
            CHATS,
            api_key=api_key,
            path_params={"businessId": business_id},
            params=_page_params(limit, page_token),
            json=_dump(request),
            retry=True,  # a read, though it is a POST
        )
        return ChatsResponse.model_validate(body).result

    def chat_pages(
        self,
        api_key: str,
        business_id: int,
        *,
        page_token: str | None = None,
        max_pages: int | None = None,
        **query: Unpack[ChatQuery],
    ) -> Pages[Chat]:
        """The pages of the business's chats that `query` finds, like `business_order_pages`."""

        def page(token: str | None) -> Awaitable[ChatsPage]:
            return self.get_chats(api_key, business_id, page_token=token, **query)

        return Pages(page, token=page_token, max_pages=max_pages)

    async def get_chat(self, api_key: str, business_id: int, chat_id: int) -> Chat:
        body = await self.transport.request(
            "GET", CHAT, api_key=api_key, path_params={"businessId": business_id}, params={"chatId": chat_id}
        )
        return ChatResponse.model_validate(body).result

    async def get_chat_message(
        self, api_key: str, business_id: int, chat_id: int, message_id: int
    ) -> ChatMessage:
        body = await self.transport.request(
            "GET",
            CHAT_MESSAGE,
            api_key=api_key,
            path_params={"businessId": business_id},
            params={"chatId": chat_id, "messageId": message_id},
        )
        return ChatMessageResponse.model_validate(body).result

    async def get_chat_history(
        self,
        api_key: str,
        business_id: int,
        chat_id: int,
        *,
        message_id_from: int | None = None,
        page_token: str | None = None,
        limit: int = CHAT_HISTORY_PAGE_SIZE,
    ) -> ChatHistory:
        """One page of a chat's messages (getChatHistory), oldest first, from `message_id_from` on."""
        params: dict[str, str | int] = {"chatId": chat_id, **_page_params(limit, page_token)}
        body = await self.transport.request(
            "POST",
            CHAT_HISTORY,
            api_key=api_key,
            path_params={"businessId": business_id},
            params=params,
            json=_dump(ChatHistoryRequest(message_id_from=message_id_from)),
            retry=True,  # a read, though it is a POST
        )
        return ChatHistoryResponse.model_validate(body).result

    def chat_history_pages(
        self,
        api_key: str,
        business_id: int,
        chat_id: int,
        *,
        message_id_from: int | None = None,
        page_token: str | None = None,
        max_pages: int | None = None,
    ) -> Pages[ChatMessage]:
        """The pages of a chat's messages from `message_id_from` on, oldest first."""

        def page(token: str | None) -> Awaitable[ChatHistory]:
            return self.get_chat_history(
                api_key, business_id, chat_id, message_id_from=message_id_from, page_token=token
            )

        return Pages(page, token=page_token, max_pages=max_pages)

    async def send_chat_message(self, api_key: str, business_id: int, chat_id: int, text: str) -> None:
        """sendMessageToChat, sent once. The text is 1-4,096 characters (`MESSAGE_LIMIT`): the caller
        refuses another, the Market would."""
        await self.transport.request(
            "POST",
            CHAT_MESSAGE,
            api_key=api_key,
            path_params={"businessId": business_id},
            params={"chatId": chat_id},
            json=_dump(SendMessageRequest(message=text)),
        )

    async def send_chat_file(
        self, api_key: str, business_id: int, chat_id: int, *, name: str, data: bytes, content_type: str
    ) -> None:
        """sendFileToChat, sent once (multipart `file`). Over `FILE_LIMIT` bytes raises `FileTooLarge`
        without sending."""
        if len(data) > FILE_LIMIT:
            raise FileTooLarge(len(data))
        await self.transport.request(
            "POST",
            CHAT_FILE,
            api_key=api_key,
            path_params={"businessId": business_id},
            params={"chatId": chat_id},
            files={"file": (name, data, content_type)},
        )

    async def download_chat_file(self, api_key: str, url: str, *, max_bytes: int = FILE_LIMIT) -> bytes:
        """A chat message's file (its `url`), at most `max_bytes`: a bigger one raises `FileTooLarge`.
        The key goes only to the Market's own host."""
        return await self.transport.download(url, api_key=api_key, max_bytes=max_bytes)
