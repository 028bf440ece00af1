"""The order poller: one background loop that polls each shop's orders, records what it finds (a
cancellation request, a new order) with its recipients, reminds of requests with 6 hours left, ends
those long past their 48 hours, and records each shop's morning digest; the outbox sends them.

Each shop is polled every `poll_seconds` with one getBusinessOrders call (orders of its campaign in
the watched statuses changed since the last poll; further pages only after a burst). A poll reads a
fixed window of update times, [where the last one ended, now), at most MAX_PAGES pages of it; when a
burst is longer, the window and its next page are kept, the shop is due again at once, and its cursor
moves past the window only when the window has been read through. Polls run one at
a time, so a poll holds at most one of a key's two slots and a user's own call never waits behind more
than one. The polls of shops sharing a key take at most POLL_SHARE_PER_HOUR of its hourly budget for
that method (the interval stretches when many shops share one key), and none is made while the
Market says less than RESERVE of that budget is left: the rest is the users'.

What a poll finds is recorded with its recipients in the same transaction that moves the shop's
cursor; the messages go out after (`AlertOutbox`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from bot.domain.alerts import (
    CANCEL_STATUSES,
    REMIND_LEFT,
    SETTLED_BY_MARKET,
    SETTLED_ELSEWHERE,
    AlertKind,
    DigestLine,
    Facts,
    Switch,
    digest_due,
)
from bot.domain.clock import utcnow
from bot.domain.market_data import BusinessOrder, OrderStatus
from bot.domain.records import Shop
from bot.market.client import MarketClient
from bot.market.errors import BadRequestError, MarketError
from bot.services.alerts.outbox import AlertOutbox
from bot.services.alerts.switches import recipients, request_recipients
from bot.services.background import Loop, Looping
from bot.services.orders import OrdersService
from storage.db import Database, Executor
from storage.repositories import AlertDeliveriesRepo, AlertsRepo, OrderWatchRepo, Repos
from storage.repositories.order_watch import Sweep
from storage.secrets import SecretBox

logger = logging.getLogger(__name__)

WATCHED = [
    OrderStatus.PROCESSING,
    OrderStatus.DELIVERY,
    OrderStatus.PICKUP,
    OrderStatus.DELIVERED,
    OrderStatus.CANCELLED,
]
DIGEST_STATUSES = [OrderStatus.PROCESSING, OrderStatus.DELIVERY]
OVERLAP = dt.timedelta(minutes=2)  # each poll looks this far behind the last one (clock skew)
FIRST_LOOK = dt.timedelta(hours=48)  # the first poll of a shop finds requests made before the bot watched
MAX_PAGES = 10  # a poll's pages (of 50 orders); a longer window goes on at the next turn
DIGEST_MAX_PAGES = 100  # the digest's read, once a day; past it the digest is incomplete (logged)
POLL_SHARE_PER_HOUR = 6_000  # of getBusinessOrders' 10,000 an hour per key
RESERVE = 1_000  # no poll while the Market says fewer calls than this are left this hour
TICK = 10.0  # seconds between looks at what is due (polls, reminders, digests, messages)
EXPIRED_AFTER = dt.timedelta(hours=1)  # an unanswered request this long past its 48 hours is over
NOTIFIED_WITHIN = dt.timedelta(hours=1)  # a shop notified since then is polled only as a backstop


def _second_after(moment: dt.datetime) -> dt.datetime:
    """The Market is sent whole seconds: a window ending now ends at the next one, so a change made
    this very second is in it (whatever lands later is in the next window, which starts OVERLAP back)."""
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + dt.timedelta(seconds=1)


def delivery_day(order: BusinessOrder) -> dt.date | None:
    dates = order.delivery.dates if order.delivery else None
    return dates.from_date if dates else None


def facts_of(order: BusinessOrder, **more: object) -> Facts:
    return Facts.model_validate(
        {
            "status": str(order.status),
            "day": delivery_day(order),
            "items": sum(item.count for item in order.items),
            **more,
        }
    )


async def record(
    tx: Executor,
    shop_id: int,
    order_id: int,
    kind: AlertKind,
    facts: Facts,
    to: Iterable[int],
    *,
    event: str = "",
) -> bool:
    """A new event and the users it goes to; False when this event was recorded before."""
    alert_id = await AlertsRepo(tx).record(shop_id, order_id, kind, facts, event=event)
    if alert_id is None:
        return False
    await AlertDeliveriesRepo(tx).add(alert_id, to)
    return True


@dataclass(frozen=True, slots=True)
class Seen:
    """What one look at an order recorded: a new alert, a request settled some other way (its messages
    are to show it once the transaction is in)."""

    alerted: bool = False
    settled: int | None = None


async def observe(
    tx: Executor,
    shop_id: int,
    order: BusinessOrder,
    now: dt.datetime,
    *,
    watched_from: dt.datetime,
    requested_at: dt.datetime | None = None,
    new: bool = False,
) -> Seen:
    """One order as just read (by a poll, or after a notification about it): a cancellation request
    not recorded before, a request answered some other way, a new order. Nothing is recorded twice,
    whoever looks first. `requested_at`: when the buyer asked (a notification says it; a poll only
    knows when the order last changed, and a later notification corrects the time of a request still
    open). `new`: the Market said the order was just placed (no need to have watched from before)."""
    alerts = AlertsRepo(tx)
    if order.cancel_requested and order.status in CANCEL_STATUSES:
        requested = min(requested_at or order.update_date or now, now)
        facts = facts_of(order, requested_at=requested)
        to = await request_recipients(tx, shop_id, order.order_id)
        if await record(tx, shop_id, order.order_id, AlertKind.CANCEL, facts, to):
            return Seen(alerted=True)
        known = await alerts.cancel_request(shop_id, order.order_id)
        if requested_at is not None and known is not None and known.answer is None:
            await alerts.correct_requested_at(known.id, requested)
        return Seen()
    settled = None
    request = await alerts.cancel_request(shop_id, order.order_id)
    if request is not None and request.answer is None:  # answered some other way
        how = SETTLED_BY_MARKET if order.status == OrderStatus.CANCELLED else SETTLED_ELSEWHERE
        if await alerts.answered(request.id, now, answer=how):
            settled = request.id
    alerted = False
    created = order.creation_date
    if order.status == OrderStatus.PROCESSING and created is not None and (new or created >= watched_from):
        to = await recipients(tx, shop_id, Switch.NEW_ORDER)
        alerted = await record(tx, shop_id, order.order_id, AlertKind.NEW_ORDER, facts_of(order), to)
    return Seen(alerted, settled)


class AlertPoller(Looping):
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        market: MarketClient,
        orders: OrdersService,
        outbox: AlertOutbox,
        *,
        poll_seconds: float = 120.0,
        backstop_seconds: float = 900.0,
        last_seen: Callable[[int], dt.datetime | None] = lambda campaign_id: None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self._box = box
        self._market = market
        self._orders = orders
        self._outbox = outbox
        self.poll_seconds = poll_seconds
        self.backstop_seconds = backstop_seconds
        self.last_seen = last_seen  # when a notification about this campaign last came (the inbox)
        self.clock = clock
        self._polled_at: dict[int, float] = {}  # shop id → loop time of its last poll
        self._loop = Loop("alerts", self.turn, every=lambda: min(TICK, self.poll_seconds))

    @property
    def _repos(self) -> Repos:
        return Repos.on(self._db, self._box)

    async def turn(self, *, poll_every: bool = False) -> None:
        """Everything due now: messages first (a restart owes them), then polls, reminders, digests,
        and the messages those recorded. `poll_every`: poll each shop now, whatever its interval."""
        await self._outbox.deliver()
        await self.poll_due(every=poll_every)
        await self.remind()
        await self.digests()
        await self._outbox.deliver()

    # --- polling ---------------------------------------------------------------------------
    async def _keys(self) -> dict[str, list[Shop]]:
        """The shops by API key (shops of one key share its limits)."""
        groups: dict[str, list[Shop]] = {}
        for shop, key in await self._repos.shops.with_keys():  # an unreadable key: reported at start
            groups.setdefault(key, []).append(shop)
        return groups

    def interval(self, shops_on_key: int, shop: Shop | None = None) -> float:
        """Seconds between two polls of one shop whose key serves `shops_on_key` shops. While the
        Market's notifications about the shop arrive (one in the last hour), the poll is only the
        safety net for one lost on the way: `backstop_seconds`."""
        every = self.poll_seconds
        seen = self.last_seen(shop.campaign_id) if shop is not None else None
        if seen is not None and self.clock() - seen <= NOTIFIED_WITHIN:
            every = max(every, self.backstop_seconds)
        return max(every, shops_on_key * 3600 / POLL_SHARE_PER_HOUR)

    async def poll_due(self, *, every: bool = False) -> int:
        """Poll every shop whose turn it is (`every`: each shop), one at a time. Returns how many were
        polled."""
        polled = 0
        loop = asyncio.get_running_loop()
        for api_key, shops in (await self._keys()).items():
            for shop in shops:
                if self._loop.stopping:
                    return polled
                interval = self.interval(len(shops), shop)
                if not every and loop.time() - self._polled_at.get(shop.id, -float("inf")) < interval:
                    continue
                budget = self._market.hourly_budget(api_key, "getBusinessOrders")
                if budget is not None and budget.remaining < RESERVE:
                    continue  # the rest of this hour's budget is the users'
                self._polled_at[shop.id] = loop.time()
                try:
                    if not await self.poll_shop(shop, api_key):
                        del self._polled_at[shop.id]  # the rest of its window: due again at once
                except MarketError as exc:
                    logger.warning("alerts: shop %s not polled: %s", shop.id, type(exc).__name__)
                polled += 1
        return polled

    async def poll_shop(self, shop: Shop, api_key: str) -> bool:
        """One look at what changed in the shop since its last poll; records what is new. Returns False
        when the page cap stopped it inside its window (the next poll goes on from there)."""
        now = self.clock()
        watch = await self._repos.order_watch.watch(shop.id)
        watched_from = watch.watched_from if watch else now
        sweep = (
            watch.sweep
            if watch and watch.sweep
            else Sweep(
                start=watch.polled_until - OVERLAP if watch else now - FIRST_LOOK, end=_second_after(now)
            )
        )
        found, sweep = await self._sweep(shop, api_key, sweep)
        settled: list[int] = []
        async with self._db.transaction() as tx:
            repos = Repos.on(tx, self._box)
            for order in found:
                seen = await observe(tx, shop.id, order, now, watched_from=watched_from)
                settled.extend([seen.settled] if seen.settled is not None else [])
            if sweep.token:
                await repos.order_watch.paused(shop.id, sweep, watched_from=watched_from)
            else:
                await repos.order_watch.polled(shop.id, sweep.end, watched_from=watched_from)
        for alert_id in settled:
            await self._outbox.show_settled(alert_id)
        if sweep.token:
            logger.info(
                "alerts: shop %s: page cap hit, going on next turn from page %d (orders changed %s to %s)",
                shop.id,
                sweep.pages + 1,
                sweep.start.isoformat(timespec="seconds"),
                sweep.end.isoformat(timespec="seconds"),
            )
        return sweep.token is None

    async def _sweep(self, shop: Shop, api_key: str, sweep: Sweep) -> tuple[list[BusinessOrder], Sweep]:
        """The next pages of the window (at most MAX_PAGES) and where it stands after them. A kept page
        token the Market no longer takes: the window is read again from its start (what was found
        before is found again and says nothing)."""
        try:
            found, token, pages = await self._read(
                shop, api_key, WATCHED, MAX_PAGES, sweep.token, window=(sweep.start, sweep.end)
            )
        except BadRequestError:
            if sweep.token is None:
                raise
            logger.warning(
                "alerts: shop %s: page %d refused, reading its window again", shop.id, sweep.pages + 1
            )
            return await self._sweep(shop, api_key, replace(sweep, token=None, pages=0))
        return found, replace(sweep, token=token, pages=sweep.pages + pages)

    async def _read(
        self,
        shop: Shop,
        api_key: str,
        statuses: list[OrderStatus],
        max_pages: int,
        token: str | None = None,
        *,
        window: tuple[dt.datetime, dt.datetime] | None = None,
    ) -> tuple[list[BusinessOrder], str | None, int]:
        """The shop's orders in `statuses` (last changed in `window`, [from, to)) from the page `token`
        names: one call, more only when there are over 50, at most `max_pages`. Returns them, the
        token of the next page (None: all read) and how many pages were read."""
        updated_from, updated_to = window or (None, None)
        business_id = await self._orders.business_id(api_key, shop)
        pages = self._market.business_order_pages(
            api_key,
            business_id,
            campaign_ids=[shop.campaign_id],
            statuses=statuses,
            updated_from=updated_from,
            updated_to=updated_to,
            page_token=token,
            max_pages=max_pages,
        )
        found = [order async for page in pages for order in page.items]
        return found, pages.next_token, pages.read

    # --- reminders and digests -------------------------------------------------------------
    async def remind(self) -> int:
        """A reminder for each request with 6 hours or less left; a request long past its 48 hours
        (the order not seen since) is over."""
        now = self.clock()
        reminded = 0
        for request in await self._repos.alerts.open_requests():
            deadline = request.deadline
            if request.answer is not None or deadline is None:
                continue
            if now > deadline + EXPIRED_AFTER:
                if await self._repos.alerts.answered(request.id, now, answer=SETTLED_BY_MARKET):
                    await self._outbox.show_settled(request.id)
                continue
            if deadline - now <= REMIND_LEFT and deadline - request.created_at > REMIND_LEFT:
                async with self._db.transaction() as tx:
                    to = await AlertDeliveriesRepo(tx).recipients(request.id)
                    if await record(
                        tx, request.shop_id, request.order_id, AlertKind.REMINDER, request.facts, to
                    ):
                        reminded += 1
        return reminded

    async def digests(self) -> int:
        """Each shop's morning digest, once a day from 09:00 Moscow time."""
        now = self.clock()
        sent = 0
        for api_key, shops in (await self._keys()).items():
            for shop in shops:
                watch = await self._repos.order_watch.watch(shop.id)
                day = digest_due(now, watch.digest_day) if watch else None
                if day is None or self._loop.stopping:
                    continue
                try:
                    sent += await self._digest(shop, api_key, day)
                except MarketError as exc:
                    logger.warning("alerts: digest of shop %s not read: %s", shop.id, type(exc).__name__)
        return sent

    async def _digest(self, shop: Shop, api_key: str, day: dt.date) -> int:
        to = await recipients(self._db, shop.id, Switch.DIGEST)
        lines: list[DigestLine] = []
        if to:
            found, more, _ = await self._read(shop, api_key, DIGEST_STATUSES, DIGEST_MAX_PAGES)
            if more:
                logger.warning(
                    "alerts: shop %s: the digest of %s lists only the first %d orders in delivery (page cap)",
                    shop.id,
                    day,
                    len(found),
                )
            lines = [
                DigestLine(order_id=order.order_id, day=d)
                for order in found
                if (d := delivery_day(order)) and d <= day
            ]
        lines.sort(key=lambda line: (line.day, line.order_id))
        facts = Facts(overdue=[x for x in lines if x.day < day], today=[x for x in lines if x.day == day])
        async with self._db.transaction() as tx:
            recorded = lines and await record(
                tx, shop.id, 0, AlertKind.DIGEST, facts, to, event=day.isoformat()
            )
            await OrderWatchRepo(tx).digest_recorded(shop.id, day)
        return 1 if recorded else 0
