"""What each of the Market's notifications does, once the inbox has it: the order it names is read once
(getBusinessOrders by its number) and looked at as a poll would look at it — a cancellation request
alerted with the time the buyer asked, a new order alerted, a request answered some other way shown
settled — the order's kept copy refreshed, and a cancelled order's waiting operations stopped.

Nothing is told twice: the alerts table keeps one event per order and kind, so the same notification
twice, or a notification after the poller found the same thing (or before it), records nothing new.

The outcome is a short word for the inbox and the metrics: "alerted", "settled", "stopped",
"refreshed", "recorded", or "ignored:<why>" / "failed:<code>".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.domain.alerts import CANCEL_WINDOW
from bot.domain.clock import utcnow
from bot.domain.errors import OrderUnavailable
from bot.domain.market_data import BusinessOrder, OrderStatus
from bot.domain.notifications import MarketEvent
from bot.domain.outcomes import Outcome
from bot.domain.records import Shop
from bot.market.errors import MarketError, NotFoundError
from bot.services.alerts.outbox import AlertOutbox
from bot.services.alerts.poller import Seen, observe
from bot.services.chats.feed import ChatFeed
from bot.services.operations import Operations
from bot.services.orders import OrdersService
from storage.db import Database
from storage.repositories import Repos
from storage.secrets import SecretBox, SecretDecryptError

CANCELLATION_REQUEST = "ORDER_CANCELLATION_REQUEST"
CREATED = "ORDER_CREATED"
CANCELLED = "ORDER_CANCELLED"
ORDER_KINDS = frozenset({CANCELLATION_REQUEST, CREATED, CANCELLED, "ORDER_STATUS_UPDATED", "ORDER_UPDATED"})
CHAT_KINDS = frozenset({"CHAT_CREATED", "CHAT_MESSAGE_SENT"})  # buyers' chats: `ChatFeed.on_event`


class Effects:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        orders: OrdersService,
        operations: Operations,
        outbox: AlertOutbox,
        chats: ChatFeed,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self._box = box
        self._orders = orders
        self._operations = operations
        self._outbox = outbox
        self._chats = chats
        self.clock = clock

    @property
    def _repos(self) -> Repos:
        return Repos.on(self._db, self._box)

    async def act(self, event: MarketEvent) -> str:
        """Do what this notification asks and say how it went (see the module). Safe to repeat: acting
        twice on the same event tells nobody twice. Raises `MarketError` only when the order could not
        be read now and trying again later can help (`retryable`): the event is to be acted on again."""
        if event.kind == "PING":
            return "ignored:ping"
        if event.kind in CHAT_KINDS:
            return await self._chats.on_event(event)
        if event.kind not in ORDER_KINDS:
            return "ignored:kind"
        if event.campaign_id is None or event.order_id is None:
            return "ignored:no-order"
        shop = await self._repos.shops.by_campaign(event.campaign_id)
        if shop is None:
            return "ignored:no-shop"
        try:
            order = await self._read(shop, event.order_id)
        except SecretDecryptError:
            return "ignored:key-unreadable"  # reported at start; the shop is to be connected again
        except OrderUnavailable as exc:
            return f"failed:{exc.failure.code}"
        except MarketError as exc:
            if exc.retryable:
                raise
            return f"failed:{exc.failure.code}"
        if order is None:
            return "ignored:no-order"
        fresh = newest(order, event, self.clock())
        self._orders.forget(shop.id, order.order_id, read_back=order if fresh is order else None)
        return await self._look(shop, fresh, event)

    async def _read(self, shop: Shop, order_id: int) -> BusinessOrder | None:
        """The order as the Market has it now (its number: the last 30 days, then earlier windows)."""
        api_key = await self._repos.shops.api_key(shop.id)
        if not api_key:
            return None
        try:
            return await self._orders.lookup(api_key, shop, order_id)
        except NotFoundError:
            return None

    async def _look(self, shop: Shop, order: BusinessOrder, event: MarketEvent) -> str:
        now = self.clock()
        stopped: list[Outcome] = []
        if order.status == OrderStatus.CANCELLED:  # first: an answer waiting to go settles its request
            stopped = await self._operations.order_cancelled(shop.id, order)
        async with self._db.transaction() as tx:
            watch = await Repos.on(tx, self._box).order_watch.watch(shop.id)
            seen: Seen = await observe(
                tx,
                shop.id,
                order,
                now,
                watched_from=watch.watched_from if watch else now,
                requested_at=_requested_at(event, now),
                new=event.kind == CREATED,
            )
        if seen.settled is not None:
            await self._outbox.show_settled(seen.settled)
        if seen.alerted:
            await self._outbox.deliver()
            return "alerted"
        return "settled" if seen.settled is not None else "stopped" if stopped else "refreshed"


TRUSTED_LAG = dt.timedelta(minutes=30)  # how long the Market's copy of an order may lag its notification


def _requested_at(event: MarketEvent, now: dt.datetime) -> dt.datetime | None:
    """A cancellation request's own time, when it is one a request can have: not before the 48 hours
    that would have ended it, not ahead of now. Otherwise the poll's way of dating it is kept."""
    if event.kind != CANCELLATION_REQUEST or not now - CANCEL_WINDOW <= event.at <= now + TRUSTED_LAG:
        return None
    return event.at


def newest(order: BusinessOrder, event: MarketEvent, now: dt.datetime | None = None) -> BusinessOrder:
    """The order as read, unless the notification is newer than the read (the Market's copy may lag
    its own notification by a moment): then what the notification says wins — the later time is the
    true one (notifications.yaml)."""
    if order.update_date is not None and order.update_date >= event.at:
        return order
    if now is not None and not now - TRUSTED_LAG <= event.at <= now + TRUSTED_LAG:
        return order  # only a fresh notification may be ahead of the copy: an old or odd one may not
    if event.kind == CANCELLATION_REQUEST and not order.cancel_requested:
        return order.model_copy(update={"cancel_requested": True})
    if event.kind == CANCELLED and order.status != OrderStatus.CANCELLED:
        return order.model_copy(update={"status": OrderStatus.CANCELLED})
    return order
