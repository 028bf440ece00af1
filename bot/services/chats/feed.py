"""Buyers' messages reach the shop's team: from the Market's push notifications within seconds
(`on_event`), and from a poll of the chats waiting for the shop's answer (`poll_due`) every
`poll_seconds`, or only as a safety net while notifications about the business arrive.

Each message is recorded with its recipients first (ids only: chat, message, user), in the same
transaction that moves the chat's "read up to" mark, and sent after; so a restart between the two
neither loses nor repeats it, and a message that came by both ways is told once per recipient. Its
text and files are read from the Market when it is shown and kept nowhere.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.domain.alerts import Switch
from bot.domain.chats import FILE_LIMIT, WAITING, Chat, ChatMessage, Sender
from bot.domain.clock import utcnow
from bot.domain.errors import MarketFailure
from bot.domain.market_data import BusinessOrder
from bot.domain.notifications import MarketEvent
from bot.domain.records import ChatDue, ChatPost, Role, Shop
from bot.market.client import MarketClient
from bot.market.errors import MarketError, NotFoundError
from bot.services.alerts.switches import order_recipients
from bot.services.background import Loop, Looping
from bot.services.notices import ChatFileData, ChatNote, Notices
from bot.services.orders import OrdersService
from storage.db import Database
from storage.repositories import Repos
from storage.secrets import SecretBox

logger = logging.getLogger(__name__)

CREATED = "CHAT_CREATED"
MESSAGE_SENT = "CHAT_MESSAGE_SENT"
TICK = 5.0  # seconds between two looks at what is due
MAX_CHAT_PAGES = 5  # of 20 chats: the 100 chats waiting longest are read in one poll
MAX_HISTORY_PAGES = 5  # of 100 messages, read for one chat in one look
FIRST_LOOK_PAGES = 20  # ... the first time (only its end is kept: `FIRST_LOOK_KEPT` messages)
FIRST_LOOK_KEPT = 100
FIRST_LOOK = 3  # the newest unanswered messages of a chat the bot has not read before
FIRST_LOOK_AGE = dt.timedelta(hours=48)  # ... when no older than this
MAX_FILES = 10  # files of one message read and shown (the rest named)
RESERVE = 500  # of the hourly getChats budget, left to the users' /chats
NOTIFIED_WITHIN = dt.timedelta(hours=1)
REST = dt.timedelta(minutes=10)  # after the Market refused to read a chat's messages (not "busy")
BUSY_TURNS = 3  # a chat the Market is "busy" for this many turns in a row rests like a refused one
GIVE_UP = 8  # failed reads (~1 hour): its recipients are told to open the chat in the cabinet


@dataclass(frozen=True, slots=True)
class _Read:
    """A chat and one of its messages as just read (what a delivery in the same turn shows)."""

    chat: Chat
    message: ChatMessage


class ChatFeed(Looping):
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        market: MarketClient,
        orders: OrdersService,
        notices: Notices,
        *,
        poll_seconds: float = 60.0,
        backstop_seconds: float = 900.0,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self._box = box
        self._market = market
        self._orders = orders
        self._notices = notices
        self.poll_seconds = poll_seconds
        self.backstop_seconds = backstop_seconds
        self.clock = clock
        self.on_told: Callable[[], None] = lambda: None  # the metrics count them
        self._polled_at: dict[tuple[int, int], float] = {}  # (shop id, business) → loop time
        self._notified: dict[int, dt.datetime] = {}  # business id → its last chat notification
        self._read: dict[tuple[int, int], _Read] = {}  # (chat, message) → as read this turn
        self._chat_pages: dict[tuple[int, int], str] = {}  # a poll cut by the page cap goes on here
        self._resting: dict[int, dt.datetime] = {}  # chat id → until: the Market refused to read it
        self._failures: dict[int, int] = {}  # chat id → reads that failed in a row
        self._sending = asyncio.Lock()  # the poll and the notifications' worker both deliver
        self._loop = Loop("chats", self.turn, every=lambda: min(TICK, self.poll_seconds))

    @property
    def _repos(self) -> Repos:
        return Repos.on(self._db, self._box)

    async def turn(self, *, poll_every: bool = False) -> None:
        """What a restart owes first, then the polls due, then what they found."""
        await self.deliver()
        await self.poll_due(every=poll_every)
        await self.deliver()

    # --- polling ---------------------------------------------------------------------------
    async def _businesses(self) -> dict[tuple[str, int], list[Shop]]:
        """The shops by (API key, business): one poll of a business's chats serves all its shops."""
        groups: dict[tuple[str, int], list[Shop]] = {}
        for shop, key in await self._repos.shops.with_keys():
            if shop.business_id is not None:
                groups.setdefault((key, shop.business_id), []).append(shop)
        return groups

    def interval(self, business_id: int) -> float:
        """Seconds between two polls of a business's chats: `poll_seconds`, or the safety net's
        `backstop_seconds` while the Market's chat notifications about it arrive."""
        seen = self._notified.get(business_id)
        if seen is not None and self.clock() - seen <= NOTIFIED_WITHIN:
            return max(self.poll_seconds, self.backstop_seconds)
        return self.poll_seconds

    async def poll_due(self, *, every: bool = False) -> int:
        """Poll each business whose turn it is (`every`: each one now). Returns how many were polled."""
        polled = 0
        loop = asyncio.get_running_loop()
        for (api_key, business_id), shops in (await self._businesses()).items():
            if self._loop.stopping:
                break
            mark = (shops[0].id, business_id)
            if not every and loop.time() - self._polled_at.get(mark, -float("inf")) < self.interval(
                business_id
            ):
                continue
            budget = self._market.hourly_budget(api_key, "getChats")
            if budget is not None and budget.remaining < RESERVE:
                continue  # the rest of this hour's budget is the users'
            self._polled_at[mark] = loop.time()
            try:
                if not await self.poll_business(api_key, business_id, shops):
                    del self._polled_at[mark]  # more chats than one poll reads: the rest at once
            except MarketError as exc:
                logger.warning("chats: business of shop %s not polled: %s", shops[0].id, type(exc).__name__)
            polled += 1
        return polled

    async def poll_business(self, api_key: str, business_id: int, shops: Sequence[Shop]) -> bool:
        """Read the chats waiting for the shops' answer and record their messages not yet told. A chat
        not changed since it was last read is not read again. Returns False when the page cap (or the
        hour's budget) stopped it: the next poll goes on from there, at once."""
        mark = (shops[0].id, business_id)
        seen = {shop.id: await self._repos.chat_watch.seen(shop.id) for shop in shops}
        pages = self._market.chat_pages(
            api_key,
            business_id,
            page_token=self._chat_pages.pop(mark, None),
            max_pages=MAX_CHAT_PAGES,
            statuses=list(WAITING),
        )
        async for chat in pages.items():
            shop = _shop_of(chat, shops)
            if shop is None:
                continue
            watched = seen[shop.id].get(chat.chat_id)
            if watched is not None and watched[1] >= chat.updated_at:
                continue
            budget = self._market.hourly_budget(api_key, "getChatHistory")
            if budget is not None and budget.remaining < RESERVE:
                return True  # the rest of this hour's budget is the users'
            try:
                await self._read_chat(api_key, business_id, shop, chat)
            except MarketError as exc:
                if exc.retryable:
                    raise  # the Market is busy: the whole poll on the next turn
                # This chat only (the others go on): read again on the next poll.
                logger.warning("chats: a chat of shop %s not read: %s", shop.id, exc.failure.code)
        if pages.next_token is None:
            return True
        self._chat_pages[mark] = pages.next_token
        return False

    async def _read_chat(self, api_key: str, business_id: int, shop: Shop, chat: Chat) -> None:
        """The chat's messages after the last one read (the first time: its newest unanswered ones),
        recorded; the chat marked read as of its `updated_at` once read to its end (a chat with more
        new messages than one look reads is read on from there by the next poll)."""
        last = await self._repos.chat_watch.last(shop.id, chat.chat_id)
        first = last is None
        messages: deque[ChatMessage] = deque(maxlen=FIRST_LOOK_KEPT if first else None)
        token: str | None = None
        for _ in range(FIRST_LOOK_PAGES if first else MAX_HISTORY_PAGES):
            page = await self._market.get_chat_history(
                api_key, business_id, chat.chat_id, message_id_from=last or None, page_token=token
            )
            messages.extend(m for m in page.messages if last is None or m.message_id > last)
            token = page.next_page_token
            if not token:
                break
        newest = max((m.message_id for m in messages), default=last or 0)
        told = (
            _first_look(list(messages), self.clock())
            if first
            else [m for m in messages if m.sender is not Sender.PARTNER]
        )
        # Read to its end: not read again until it changes. Cut short: read on at the next poll.
        seen_at = chat.updated_at if token is None else chat.updated_at - dt.timedelta(milliseconds=1)
        await self._record(shop, chat, told, newest, seen_at=seen_at)

    async def _record(
        self,
        shop: Shop,
        chat: Chat,
        messages: Sequence[ChatMessage],
        newest: int | None,
        *,
        seen_at: dt.datetime | None = None,
    ) -> int:
        """Record the messages with their recipients and, with `newest`, mark the chat read up to it
        (as of `seen_at`, the chat's own time), in one transaction."""
        now = self.clock()
        order_id = chat.context.order_id
        recorded = 0
        async with self._db.transaction() as tx:
            repos = Repos.on(tx, self._box)
            to = await order_recipients(tx, shop.id, order_id, Switch.CHAT) if messages else []
            for message in messages:
                self._read[(chat.chat_id, message.message_id)] = _Read(chat, message)
                recorded += await repos.chat_deliveries.record(
                    shop.id, chat.chat_id, message.message_id, order_id, to, now
                )
            if newest is not None:
                await repos.chat_watch.advance(shop.id, chat.chat_id, newest, seen_at or now)
        return recorded

    # --- push notifications ----------------------------------------------------------------
    async def on_event(self, event: MarketEvent) -> str:
        """A chat notification: the message it names (or the new chat's messages) recorded and told.
        Returns the inbox's outcome word; raises `MarketError` when reading failed and trying again
        later can help."""
        if event.business_id is None or event.chat_id is None:
            return "ignored:no-chat"
        shops = [s for s in await self._repos.shops.every() if s.business_id == event.business_id]
        if not shops:
            return "ignored:no-shop"
        self._notified[event.business_id] = self.clock()
        api_key = await self._repos.shops.readable_key(shops[0].id)
        if not api_key:
            return "ignored:key-unreadable"
        try:
            chat = await self._market.get_chat(api_key, event.business_id, event.chat_id)
            shop = _shop_of(chat, shops)
            if shop is None:
                return "ignored:no-shop"
            if event.kind == MESSAGE_SENT and event.message_id is not None:
                message = await self._market.get_chat_message(
                    api_key, event.business_id, event.chat_id, event.message_id
                )
                if message.sender is Sender.PARTNER:
                    return "ignored:ours"
                recorded = await self._record(shop, chat, [message], None)
            else:
                await self._read_chat(api_key, event.business_id, shop, chat)
                recorded = 1
        except NotFoundError:
            return "ignored:no-chat"  # not (or no longer) a chat of the business
        except MarketError as exc:
            if exc.retryable:
                raise
            return f"failed:{exc.failure.code}"
        if not recorded:
            return "recorded"
        await self.deliver()
        return "alerted"

    # --- telling ---------------------------------------------------------------------------
    async def deliver(self) -> int:
        """Show what was recorded and not yet shown. Stops at the first message Telegram (or the
        Market, reading it) could not take now: tried again on the next turn."""
        async with self._sending:
            try:
                return await self._deliver()
            finally:
                self._read.clear()

    async def _deliver(self) -> int:
        shown = 0
        repos = self._repos
        orders: dict[tuple[int, int], BusinessOrder | None] = {}
        now = self.clock()
        resting = {chat_id for chat_id, until in self._resting.items() if until > now}
        busy: set[int] = set()  # shops whose reads the Market is too busy for: on the next turn
        # Each batch's rows all end marked, or their chat rests, or their shop waits: the loop ends.
        while dues := await repos.chat_deliveries.due(except_shops=busy, except_chats=resting):
            groups = _by_message(dues)
            reads: dict[tuple[int, int, int], tuple[Shop, str, _Read]] = {}
            for (shop_id, chat_id, message_id), group in groups.items():
                if shop_id in busy or chat_id in resting:
                    continue
                shop = await repos.shops.get(shop_id)
                api_key = await repos.shops.readable_key(shop_id) if shop else None
                read: _Read | None = None
                if shop is not None and api_key is not None and shop.business_id is not None:
                    try:
                        read = await self._content(api_key, shop.business_id, chat_id, message_id)
                    except MarketError as exc:
                        logger.warning("chats: a chat of shop %s not read: %s", shop_id, exc.failure.code)
                        if await self._not_read(shop_id, chat_id, message_id, group, exc, now):
                            busy.add(shop_id)  # the Market is busy for the shop: the rest next turn
                        resting.add(chat_id)
                        continue
                    self._failures.pop(chat_id, None)
                if shop is None or api_key is None or read is None:
                    for due in group:  # gone (the shop, the chat or the message): nobody to tell
                        await repos.chat_deliveries.sent(shop_id, chat_id, message_id, due.user_id)
                    continue
                reads[(shop_id, chat_id, message_id)] = (shop, api_key, read)
            await self._orders_of(reads.values(), orders)
            for key, (shop, _, read) in reads.items():
                order_id = read.chat.context.order_id
                order = orders.get((shop.id, order_id)) if order_id is not None else None
                files = await self._files(reads[key][1], read.message)
                for due in groups[key]:
                    if not await self._show(due, read, order, files):
                        return shown
                    shown += 1
        return shown

    async def _not_read(
        self,
        shop_id: int,
        chat_id: int,
        message_id: int,
        group: Sequence[ChatDue],
        exc: MarketError,
        now: dt.datetime,
    ) -> bool:
        """A chat's message the Market did not give: the chat waits for the next turn (busy), or rests
        `REST` (refused, or busy turn after turn); after `GIVE_UP` such failures its recipients are
        told a buyer wrote and to open the chat in the cabinet, once. True when the shop waits too."""
        failures = self._failures[chat_id] = self._failures.get(chat_id, 0) + 1
        if failures >= GIVE_UP:
            del self._failures[chat_id]
            repos = self._repos
            order_id = group[0].order_id if group else None
            for due in group:
                await self._notices.tell(due.user_id, "chat-unreadable", id=order_id or 0)
                await repos.chat_deliveries.sent(shop_id, chat_id, message_id, due.user_id)
            return False
        if not exc.retryable or failures >= BUSY_TURNS:
            self._resting[chat_id] = now + REST
        return exc.retryable and failures == 1

    async def _orders_of(
        self, reads: Iterable[tuple[Shop, str, _Read]], orders: dict[tuple[int, int], BusinessOrder | None]
    ) -> None:
        """The orders these messages are about, for their number, status and day: read together, 50 a
        call, each once a turn (a message goes without them when they cannot be read now)."""
        wanted: dict[int, tuple[Shop, str, set[int]]] = {}
        for shop, api_key, read in reads:
            order_id = read.chat.context.order_id
            if order_id is not None and (shop.id, order_id) not in orders:
                wanted.setdefault(shop.id, (shop, api_key, set()))[2].add(order_id)
        for shop, api_key, order_ids in wanted.values():
            try:
                found = await self._orders.lookup_many(api_key, shop, sorted(order_ids))
            except MarketError as exc:
                logger.warning("chats: orders of chats not read: %s", type(exc).__name__)
                found = {}
            orders |= {(shop.id, order_id): found.get(order_id) for order_id in order_ids}

    async def _show(
        self, due: ChatDue, read: _Read, order: BusinessOrder | None, files: tuple[ChatFileData, ...]
    ) -> bool:
        """One recipient's copy of a message; False when Telegram could not take it now."""
        repos = self._repos
        member = await repos.memberships.of_user_in(due.user_id, due.shop_id)
        if member is None:  # no longer theirs
            await repos.chat_deliveries.sent(due.shop_id, due.chat_id, due.message_id, due.user_id)
            return True
        note = ChatNote(
            shop=member.shop,
            chat=read.chat,
            message=read.message,
            order=order,
            files=files,
            may_reply=member.role is Role.OWNER or member.shop.couriers_write,
        )
        done, posts = await self._notices.chat_message(due.user_id, note)
        now = self.clock()
        for tg_message_id, header in posts:
            post = ChatPost(
                user_id=due.user_id,
                tg_message_id=tg_message_id,
                shop_id=due.shop_id,
                chat_id=due.chat_id,
                message_id=due.message_id,
                order_id=read.chat.context.order_id,
                header=header,
                answered_by=None,
            )
            await repos.chat_posts.add(post, now)
        if not done:
            return False
        await repos.chat_deliveries.sent(due.shop_id, due.chat_id, due.message_id, due.user_id)
        if posts:
            self.on_told()
        return True

    async def _content(self, api_key: str, business_id: int, chat_id: int, message_id: int) -> _Read | None:
        """The chat and the message, as read this turn, or read now (after a restart, or more due than
        one turn shows): the chat once, and the chat's history from this message on, which brings its
        next ones too (one read for up to 100 messages). None when the chat or the message is gone."""
        read = self._read.get((chat_id, message_id))
        if read is not None:
            return read
        try:
            chat = await self._market.get_chat(api_key, business_id, chat_id)
            page = await self._market.get_chat_history(
                api_key, business_id, chat_id, message_id_from=message_id
            )
        except NotFoundError:
            return None
        for message in page.messages:
            self._read[(chat_id, message.message_id)] = _Read(chat, message)
        return self._read.get((chat_id, message_id))

    async def _files(self, api_key: str, message: ChatMessage) -> tuple[ChatFileData, ...]:
        """The message's files, read once for all its recipients: up to `FILE_LIMIT` each (a bigger
        or unreadable one is only named)."""
        files: list[ChatFileData] = []
        for n, file in enumerate(message.files):
            data: bytes | None = None
            if n < MAX_FILES and 0 <= file.size <= FILE_LIMIT:
                try:
                    data = await self._market.download_chat_file(api_key, file.url, max_bytes=FILE_LIMIT)
                except MarketFailure as exc:  # a refused or failed download, or one over the cap
                    logger.warning("chats: a file not read: %s", type(exc).__name__)
            files.append(ChatFileData(file.name, data))
        return tuple(files)


def _shop_of(chat: Chat, shops: Sequence[Shop]) -> Shop | None:
    """The shop a chat belongs to: its campaign's; a chat about no shop (a buyer's question about a
    product) goes to the business's first shop here."""
    campaign_id = chat.context.campaign_id
    if campaign_id is None:
        return min(shops, key=lambda s: s.id) if shops else None
    return next((s for s in shops if s.campaign_id == campaign_id), None)


def _first_look(messages: Sequence[ChatMessage], now: dt.datetime) -> list[ChatMessage]:
    """A chat read for the first time: only its newest unanswered messages, and only recent ones (a
    shop just connected is not flooded with its history)."""
    answered = max((m.message_id for m in messages if m.sender is Sender.PARTNER), default=0)
    waiting = [
        m
        for m in messages
        if m.sender is not Sender.PARTNER and m.message_id > answered and now - m.created_at <= FIRST_LOOK_AGE
    ]
    return sorted(waiting, key=lambda m: m.message_id)[-FIRST_LOOK:]


def _by_message(dues: Sequence[ChatDue]) -> dict[tuple[int, int, int], list[ChatDue]]:
    grouped: dict[tuple[int, int, int], list[ChatDue]] = {}
    for due in dues:
        grouped.setdefault((due.shop_id, due.chat_id, due.message_id), []).append(due)
    return grouped
