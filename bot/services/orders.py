"""Reading orders for a conversation: the order a step names, the order card's data and the delivery
services to pick from."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from collections.abc import Callable, Sequence
from functools import partial

from bot.domain.clock import moscow_today
from bot.domain.errors import (
    NotOneListed,
    OrderInOtherShop,
    OrderNotAllowed,
    OrderNotFound,
    OrderUnavailable,
)
from bot.domain.market_data import BusinessOrder, BuyerInfo, OrderStatus
from bot.domain.operations import Failure
from bot.domain.parsing import order_services, parse_order_id
from bot.domain.records import DeliveryServiceRef, Shop
from bot.market.client import MarketClient
from bot.market.errors import BadRequestError, MarketError, NotFoundError
from bot.services.access import Access
from bot.services.delivery_services import DeliveryServices
from storage.db import Database
from storage.repositories import MembershipsRepo, RecentServicesRepo, ShopsRepo
from storage.secrets import SecretBox, SecretDecryptError

SEARCH_DAYS = 120  # an order with a long delivery is older than getBusinessOrders' default 30 days
WINDOW_DAYS = 30  # the most one getBusinessOrders window may span
PICK_LIMIT = 100  # orders offered to pick from (two pages of the Market's)
LISTED_FOR = 600.0  # seconds a listed order is taken as read
SHARED_FOR = 5.0  # seconds a shop's pick list, as read for one user, is served to the others who ask
IDS_PER_CALL = 50  # getBusinessOrders takes at most 50 order ids
TAIL = re.compile(r"[0-9]{3,6}")  # typed at the order step with a list shown: the end of a number

ListKey = tuple[int, frozenset[OrderStatus]]  # a shop, the statuses listed
ListRead = tuple[list[BusinessOrder], bool]  # the list, and whether no write overtook its read


class OrdersService:
    def __init__(
        self, db: Database, box: SecretBox, market: MarketClient, delivery_services: DeliveryServices
    ) -> None:
        self._db = db
        self._box = box
        # The orders just listed to a user, so that tapping one needs no second read (10 minutes; an
        # order written to since, or opened from outside the list, is read again: `forget`).
        self._listed: dict[tuple[int, int], tuple[float, dict[int, BusinessOrder]]] = {}
        self._writes: dict[int, int] = {}  # shop id → how many times its orders were forgotten
        # A shop's pick list is read once for everyone who asks at the same moment (30 couriers
        # opening /track in the same second): the read in flight is shared, then its result for
        # SHARED_FOR seconds. A write to the shop's orders (`forget`) drops both.
        self._reading: dict[ListKey, asyncio.Task[ListRead]] = {}
        self._shared: dict[ListKey, tuple[float, list[BusinessOrder]]] = {}
        self._market = market
        self.delivery_services = delivery_services

    async def find(self, access: Access, order_id: int) -> BusinessOrder:
        """The order in the shop of `access`.

        Raises `OrderNotFound` (`OrderInOtherShop` when it is an order of another of the user's
        shops), or `OrderUnavailable` saying whether typing a number again can help: yes for a bad
        request, a busy Market or no answer; no when the key itself is refused.
        """
        listed = self._just_listed(access, order_id)
        if listed is not None:
            return listed
        try:
            order = await self.lookup(access.api_key, access.shop, order_id)
        except NotFoundError:
            order = None
        except MarketError as exc:
            ask_again = isinstance(exc, BadRequestError) or exc.retryable
            raise OrderUnavailable(exc.failure, ask_again=ask_again) from None
        if order is None:
            elsewhere = await self._other_shop_of(access, order_id)
            if elsewhere is not None:
                raise OrderInOtherShop(order_id, elsewhere.id, elsewhere.title, access.shop.title)
            raise OrderNotFound(order_id)
        return order

    async def in_other_shop(
        self, access: Access, numbers: list[int], tries: int = 3
    ) -> OrderInOtherShop | None:
        """The first of these numbers (read off a label, none an order of the shop of `access`) that
        is an order of another of the user's shops, as the refusal the order step tells; None if none."""
        for number in numbers[:tries]:
            shop = await self._other_shop_of(access, number)
            if shop is not None:
                return OrderInOtherShop(number, shop.id, shop.title, access.shop.title)
        return None

    async def _other_shop_of(self, access: Access, order_id: int) -> Shop | None:
        """Another of the user's shops that has this order (a courier of two shops typed a number
        of the one not chosen in /shop). Asked only once the order is not in the shop of `access`; a
        shop the Market will not answer for now is passed over."""
        memberships = await MembershipsRepo(self._db).shops_of(access.user_id)
        shops = ShopsRepo(self._db, self._box)
        for shop in (m.shop for m in memberships if m.shop.id != access.shop_id):
            try:
                api_key = await shops.api_key(shop.id)
                order = await self.lookup(api_key, shop, order_id) if api_key else None
            except (MarketError, OrderUnavailable, SecretDecryptError):
                continue
            if order is not None:
                return shop
        return None

    async def take(
        self,
        access: Access,
        typed: str | None,
        allowed: Callable[[BusinessOrder], bool],
        listed: Sequence[int] = (),
    ) -> BusinessOrder:
        """A conversation's order-number step: what the user typed (or pressed) → the order of the
        conversation's shop, when its status allows what the conversation is for (`allowed`).

        With orders `listed` to pick from, 3 to 6 digits are the end of one of their numbers (or, the
        end of none, a whole short number). Raises `NotOneListed`, `InputError` (not one order
        number), `OrderNotFound`, `OrderUnavailable` (see `find`) or `OrderNotAllowed`.
        """
        tail = typed.strip() if listed and typed and TAIL.fullmatch(typed.strip()) else None
        if tail is not None:
            matches = [order_id for order_id in listed if str(order_id).endswith(tail)]
            if len(matches) > 1:
                raise NotOneListed(tail, matches)
            typed = str(matches[0]) if matches else typed
        try:
            order = await self.find(access, parse_order_id(typed))
        except OrderNotFound:
            if tail is not None and typed == tail:  # the end of no listed order, nor a whole number
                raise NotOneListed(tail, []) from None
            raise
        if not allowed(order):
            raise OrderNotAllowed(order)
        return order

    async def first_of_shop(self, access: Access, numbers: list[int], tries: int = 3) -> int | None:
        """The first of these numbers (read off a label) that is an order of the shop: one listed to
        the user is taken without asking the Market; otherwise the first `tries` are looked up."""
        at, listed = self._listed.get((access.user_id, access.shop_id), (0.0, {}))
        if time.monotonic() - at <= LISTED_FOR:
            for number in numbers:
                if number in listed:
                    return number
        for number in numbers[:tries]:
            try:
                order = await self.lookup(access.api_key, access.shop, number)
            except NotFoundError:
                continue
            if order is not None:
                self._remember(access, [*listed.values(), order])
                return number
        return None

    async def buyer(self, access: Access, order_id: int) -> BuyerInfo:
        """The buyer's name and substitute phone, read each time it is asked for (never kept)."""
        return await self._market.get_buyer_info(access.api_key, access.campaign_id, order_id)

    async def pickable(self, access: Access, statuses: Sequence[OrderStatus]) -> list[BusinessOrder]:
        """The shop's orders in these statuses (created in the last 30 days), nearest delivery first,
        at most PICK_LIMIT of them: what a courier picks from instead of typing a number.

        Asked by many users of the shop at once, the Market is read once (see `_reading`). A user
        whose update is cancelled stops waiting; the read goes on for the others."""
        key: ListKey = (access.shop_id, frozenset(statuses))
        shared = self._shared.get(key)
        if shared is not None and time.monotonic() - shared[0] <= SHARED_FOR:
            listed, kept = shared[1], True
        else:
            listed, kept = await asyncio.shield(self._read_once(key, access))
        if kept:
            self._remember(access, listed)
        return list(listed)

    def _read_once(self, key: ListKey, access: Access) -> asyncio.Task[ListRead]:
        """The read of this list in flight, started now if there is none."""
        task = self._reading.get(key)
        if task is None:
            task = asyncio.create_task(self._read_list(key, access), name=f"pick list of shop {key[0]}")
            self._reading[key] = task
            task.add_done_callback(partial(self._read_done, key))
        return task

    async def _read_list(self, key: ListKey, access: Access) -> ListRead:
        business_id = await self.business_id(access.api_key, access.shop)
        writes_before = self._writes.get(access.shop_id, 0)
        found: list[BusinessOrder] = []
        async for order in self._market.business_orders(
            access.api_key, business_id, campaign_ids=[access.campaign_id], statuses=sorted(key[1])
        ):
            found.append(order)
            if len(found) == PICK_LIMIT:
                break

        def nearest(order: BusinessOrder) -> tuple[dt.date, int]:
            dates = order.delivery.dates if order.delivery else None
            return (dates.from_date if dates else dt.date.max, order.order_id)

        listed = sorted(found, key=nearest)
        kept = self._writes.get(access.shop_id, 0) == writes_before  # else a write overtook the read
        if kept:
            now = time.monotonic()
            for old in [k for k, (at, _) in self._shared.items() if now - at > SHARED_FOR]:
                del self._shared[old]
            self._shared[key] = (now, listed)
        return listed, kept

    def _read_done(self, key: ListKey, task: asyncio.Task[ListRead]) -> None:
        if self._reading.get(key) is task:
            del self._reading[key]
        if not task.cancelled():
            task.exception()  # a failure is its waiters' to tell (marked seen should none be left)

    def _remember(self, access: Access, listed: list[BusinessOrder]) -> None:
        now = time.monotonic()
        for key in [k for k, (at, _) in self._listed.items() if now - at > LISTED_FOR]:
            del self._listed[key]
        self._listed[(access.user_id, access.shop_id)] = (now, {o.order_id: o for o in listed})

    def forget(self, shop_id: int, order_id: int, read_back: BusinessOrder | None = None) -> None:
        """The copy of this order kept from a list is out of date: a write reached the order (or may
        have), or the user opens it from outside the list (an alert, the digest, «Дальше»). The next
        `find` asks the Market, or takes `read_back`, the order as read after the write landed. A list
        being read meanwhile is not kept: it may have been read before the write; the shop's shared
        lists are dropped, and whoever asks next reads anew rather than join a read begun before."""
        self._writes[shop_id] = self._writes.get(shop_id, 0) + 1
        for key in [k for k in self._shared if k[0] == shop_id]:
            del self._shared[key]
        for key in [k for k in self._reading if k[0] == shop_id]:
            del self._reading[key]  # its waiters still get it, not kept
        for (_, listed_shop), (_, listed) in self._listed.items():
            if listed_shop != shop_id:
                continue
            if read_back is None:
                listed.pop(order_id, None)
            else:
                listed[order_id] = read_back

    def _just_listed(self, access: Access, order_id: int) -> BusinessOrder | None:
        at, orders = self._listed.get((access.user_id, access.shop_id), (0.0, {}))
        return orders.get(order_id) if time.monotonic() - at <= LISTED_FOR else None

    async def lookup(self, api_key: str, shop: Shop, order_id: int) -> BusinessOrder | None:
        """One order by number, through getBusinessOrders: first the last 30 days (one call for most
        orders), then earlier 30-day windows back to 120 days. None when it is in none of them."""
        return (await self._by_ids(api_key, shop, [order_id])).get(order_id)

    async def many(self, access: Access, order_ids: Sequence[int]) -> dict[int, BusinessOrder]:
        """The shop's orders among these numbers (a bulk send checks 500 with 10 calls, 50 a call)."""
        return await self.lookup_many(access.api_key, access.shop, order_ids)

    async def lookup_many(
        self, api_key: str, shop: Shop, order_ids: Sequence[int]
    ) -> dict[int, BusinessOrder]:
        """`many` with the shop's key (the background's reads: the buyers' messages told in a turn)."""
        found: dict[int, BusinessOrder] = {}
        for start in range(0, len(order_ids), IDS_PER_CALL):
            found |= await self._by_ids(api_key, shop, order_ids[start : start + IDS_PER_CALL])
        return found

    async def _by_ids(self, api_key: str, shop: Shop, order_ids: Sequence[int]) -> dict[int, BusinessOrder]:
        """At most 50 orders by number: the last 30 days, then earlier windows for those not found."""
        business_id = await self.business_id(api_key, shop)
        today = moscow_today()
        windows: list[tuple[dt.date | None, dt.date | None]] = [(None, None)]
        for back in range(WINDOW_DAYS, SEARCH_DAYS, WINDOW_DAYS):
            until = today - dt.timedelta(days=back - 1)  # exclusive
            windows.append((until - dt.timedelta(days=WINDOW_DAYS), until))
        found: dict[int, BusinessOrder] = {}
        for start, end in windows:
            missing = [i for i in dict.fromkeys(order_ids) if i not in found]
            if not missing:
                break
            async for order in self._market.business_orders(
                api_key,
                business_id,
                order_ids=missing,
                campaign_ids=[shop.campaign_id],
                created_from=start,
                created_to=end,
            ):
                if order.order_id in missing:
                    found[order.order_id] = order
        return found

    async def business_id(self, api_key: str, shop: Shop) -> int:
        """The shop's business (cabinet) id: stored at connect time; for shops connected before, asked
        of the Market once and stored."""
        if shop.business_id is not None:
            return shop.business_id
        campaign = await self._market.get_campaign(api_key, shop.campaign_id)
        if campaign.business is None or campaign.business.id is None:
            raise OrderUnavailable(
                Failure(None, "NO_BUSINESS", "the Market names no business for this shop"), ask_again=False
            )
        await ShopsRepo(self._db, self._box).set_business_id(shop.id, campaign.business.id)
        return campaign.business.id

    async def services(self, access: Access, order_service_id: int | None = None) -> list[DeliveryServiceRef]:
        """Delivery services to pick from: the order's own first, the user's recent ones, the most used."""
        known = await self.delivery_services.all_or_none(access.api_key)
        recent = await RecentServicesRepo(self._db).recent(access.user_id)
        return order_services(known, recent, order_service_id)

    async def service_names(self, access: Access) -> dict[int, str]:
        return {s.id: s.name for s in await self.delivery_services.all_or_none(access.api_key)}
