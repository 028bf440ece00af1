"""Reading orders for a conversation: the order card's data and the delivery services to pick from."""

from __future__ import annotations

from bot.domain.errors import OrderNotFound, OrderUnavailable
from bot.domain.operations import Failure
from bot.domain.parsing import order_services
from bot.domain.records import DeliveryServiceRef
from bot.market import BadRequestError, MarketClient, MarketError, NotFoundError
from bot.market.models import Order
from bot.services.access import Access
from bot.services.delivery_services import DeliveryServices
from storage.db import Database
from storage.repositories import RecentServicesRepo


class OrdersService:
    def __init__(self, db: Database, market: MarketClient, delivery_services: DeliveryServices) -> None:
        self._db = db
        self._market = market
        self.delivery_services = delivery_services

    async def find(self, access: Access, order_id: int) -> Order:
        """The order in the shop of `access`.

        Raises `OrderNotFound`, or `OrderUnavailable` saying whether typing a number again can help:
        yes for a bad request, a busy Market or no answer; no when the key itself is refused.
        """
        try:
            return await self._market.get_order(access.api_key, access.campaign_id, order_id)
        except NotFoundError:
            raise OrderNotFound(order_id) from None
        except MarketError as exc:
            ask_again = isinstance(exc, BadRequestError) or exc.retryable
            raise OrderUnavailable(Failure.of(exc), ask_again=ask_again) from None

    async def services(self, access: Access) -> list[DeliveryServiceRef]:
        """Delivery services for the user to pick from: their recent ones first, then by name."""
        known = await self.delivery_services.all_or_none(access.api_key)
        return order_services(known, await RecentServicesRepo(self._db).recent(access.user_id))

    async def service_names(self, access: Access) -> dict[int, str]:
        return {s.id: s.name for s in await self.delivery_services.all_or_none(access.api_key)}
