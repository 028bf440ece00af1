"""Yandex Market partner API client (the endpoints this bot uses)."""

from bot.market.client import MarketClient
from bot.market.errors import MarketApiError, MarketError, MarketTransportError
from bot.market.transport import MarketTransport

__all__ = [
    "MarketApiError",
    "MarketClient",
    "MarketError",
    "MarketTransport",
    "MarketTransportError",
]
