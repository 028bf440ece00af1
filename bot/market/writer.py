"""The one place that turns an operation kind into its Market call.

The domain's kinds say what they set (`payload()`) and how to recognise it on an order read back
(`applied(order)`); which endpoint takes each, and with what, is the Market's business and lives here.
A new kind that is not added here fails mypy (`assert_never`), not a send.
"""

from __future__ import annotations

from typing import assert_never

from bot.domain.market_data import OrderStatus
from bot.domain.operations import AnyAction, CancellationAnswer, DeliveryDate, StatusStep, TrackCode
from bot.market.client import MarketClient


async def send(
    market: MarketClient, api_key: str, campaign_id: int, order_id: int, action: AnyAction
) -> None:
    """Send one operation to the order once (the transport never resends a write)."""
    match action:
        case TrackCode():
            await market.set_track_code(
                api_key,
                campaign_id,
                order_id,
                track_code=action.track_code,
                delivery_service_id=action.delivery_service_id,
            )
        case DeliveryDate():
            await market.set_delivery_date(
                api_key, campaign_id, order_id, to_date=action.to_date, reason=action.reason
            )
        case StatusStep():
            await market.update_order_status(
                api_key,
                campaign_id,
                order_id,
                status=action.status,
                substatus="SHOP_FAILED" if action.status is OrderStatus.CANCELLED else None,
                real_delivery_date=action.real_delivery_date,
            )
        case CancellationAnswer():
            await market.accept_order_cancellation(
                api_key, campaign_id, order_id, accepted=action.accepted, reason=action.reason
            )
        case _:
            assert_never(action)
