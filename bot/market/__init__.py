"""Yandex Market partner API client (the endpoints this bot uses)."""

from bot.market.client import MarketClient
from bot.market.errors import (
    BadRequestError,
    ForbiddenError,
    MarketApiError,
    MarketConnectionError,
    MarketError,
    MarketTimeoutError,
    MarketTransportError,
    NotFoundError,
    RateLimitError,
    ServerError,
    UnauthorizedError,
)
from bot.market.transport import MarketTransport

__all__ = [
    "BadRequestError",
    "ForbiddenError",
    "MarketApiError",
    "MarketClient",
    "MarketConnectionError",
    "MarketError",
    "MarketTimeoutError",
    "MarketTransport",
    "MarketTransportError",
    "NotFoundError",
    "RateLimitError",
    "ServerError",
    "UnauthorizedError",
]
