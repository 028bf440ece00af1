"""One typed async method per Market endpoint the bot uses.

API keys differ per shop, so each method takes the key; the transport underneath is shared, which is
what lets it keep the per-key limits process-wide.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.domain.market_data import BuyerInfo, Campaign, DeliveryDateReason, OrderStatus
from bot.market.models import (
    AcceptOrderCancellationRequest,
    BusinessOrdersPage,
    BusinessOrdersRequest,
    BusinessOrdersResponse,
    BuyerInfoResponse,
    CampaignResponse,
    CampaignsResponse,
    DeliveryDates,
    DeliveryService,
    DeliveryServicesResponse,
    OrderDatesFilter,
    SetDeliveryDateRequest,
    SetTrackCodeRequest,
    StatusChange,
    StatusChangeDates,
    StatusChangeDelivery,
    TokenInfo,
    TokenInfoResponse,
    UpdateOrderStatusRequest,
)
from bot.market.transport import MarketTransport

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

CAMPAIGNS_PAGE_SIZE = 100  # the spec's maximum for `limit`
MAX_CAMPAIGN_PAGES = 50


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


class MarketClient:
    def __init__(self, transport: MarketTransport) -> None:
        self.transport = transport

    async def get_campaigns(self, api_key: str) -> list[Campaign]:
        """Every shop the key reaches (all pages)."""
        campaigns: list[Campaign] = []
        page_token: str | None = None
        for _ in range(MAX_CAMPAIGN_PAGES):
            params: dict[str, str | int] = {"limit": CAMPAIGNS_PAGE_SIZE}
            if page_token:
                params["pageToken"] = page_token
            body = await self.transport.request("GET", CAMPAIGNS, api_key=api_key, params=params)
            page = CampaignsResponse.model_validate(body)
            campaigns.extend(page.campaigns)
            page_token = page.paging.next_page_token if page.paging else None
            if not page_token:
                break
        return campaigns

    async def get_campaign(self, api_key: str, campaign_id: int) -> Campaign:
        body = await self.transport.request(
            "GET", CAMPAIGN, api_key=api_key, path_params={"campaignId": campaign_id}
        )
        return CampaignResponse.model_validate(body).campaign

    async def get_business_orders(
        self,
        api_key: str,
        business_id: int,
        *,
        order_ids: list[int] | None = None,
        campaign_ids: list[int] | None = None,
        statuses: list[OrderStatus] | None = None,
        created_from: dt.date | None = None,
        created_to: dt.date | None = None,
        updated_from: dt.datetime | None = None,
        updated_to: dt.datetime | None = None,
        waiting_for_cancellation: bool | None = None,
        page_token: str | None = None,
        limit: int = BUSINESS_ORDERS_PAGE_SIZE,
    ) -> BusinessOrdersPage:
        """One page of a business's orders (getBusinessOrders). Without dates the Market searches
        orders created in the last 30 days; a window [created_from, created_to) spans at most 30 days.
        `updated_from` and `updated_to` keep only orders last changed in that window (the alerts
        poller: a fixed window keeps its pages still while it reads them)."""
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
            order_ids=order_ids,
            campaign_ids=campaign_ids,
            statuses=statuses,
            dates=dates,
            waiting_for_cancellation_approve=waiting_for_cancellation,
        )
        params: dict[str, str | int] = {"limit": limit}
        if page_token:
            params["pageToken"] = page_token
        body = await self.transport.request(
            "POST",
            BUSINESS_ORDERS,
            api_key=api_key,
            path_params={"businessId": business_id},
            params=params,
            json=_dump(request),
            retry=True,  # a read, though it is a POST
        )
        page = BusinessOrdersResponse.model_validate(body)
        return BusinessOrdersPage(
            orders=page.orders, next_page_token=page.paging.next_page_token if page.paging else None
        )

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
