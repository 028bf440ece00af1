"""The one place that turns an operation kind into its Market call.

The domain's kinds say what they set (`payload()`) and how to recognise it on an order read back
(`applied(order)`); which endpoint takes each, and with what, is the Market's business and lives here.
A new kind that is not added here fails mypy (`assert_never`), not a send.
"""

from __future__ import annotations

import datetime as dt
from typing import assert_never

from bot.domain.chats import Sender
from bot.domain.market_data import OrderStatus
from bot.domain.operations import (
    AnyAction,
    CancellationAnswer,
    ChatReply,
    DeliveryDate,
    StatusStep,
    TrackCode,
)
from bot.market.client import MarketClient

LANDED_PAGES = 5  # of 100 messages each: a chat longer than that is read from its start no further


async def send(
    market: MarketClient,
    api_key: str,
    campaign_id: int,
    order_id: int,
    action: AnyAction,
    *,
    business_id: int | None = None,
) -> None:
    """Send one operation to the order once (the transport never resends a write). A chat message goes
    to the business's chat (`business_id`)."""
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
        case ChatReply():
            if business_id is None:
                raise ValueError("a chat message needs the shop's business")
            await market.send_chat_message(api_key, business_id, action.chat_id, action.message)
        case _:
            assert_never(action)


async def chat_reply_landed(
    market: MarketClient, api_key: str, business_id: int, action: ChatReply, since: dt.datetime
) -> bool:
    """The team's message is in the chat already (an earlier attempt landed, its answer lost): a
    message from the shop with the same text, written since `since`. Reads the chat's history from the
    newest message known when it was written (`action.after`), at most `LANDED_PAGES` pages."""
    token: str | None = None
    for _ in range(LANDED_PAGES):
        page = await market.get_chat_history(
            api_key, business_id, action.chat_id, message_id_from=action.after, page_token=token
        )
        for message in page.messages:
            ours = message.sender is Sender.PARTNER and message.created_at >= since
            if ours and message.text == action.message:
                return True
        token = page.next_page_token
        if not token:
            return False
    return False
