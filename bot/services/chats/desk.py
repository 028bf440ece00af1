"""The team answers buyers: a message or a file to a chat of the shop, the order's chat opened from its
card, the chats waiting for an answer (/chats) and a chat's last messages.

Every call re-checks that the chat is the shop's and that the user may write there: the owner always;
a courier only in a chat about an order, and only while the owner lets couriers write (/team). A
message goes through the operations' pipe (2 requests in flight per key, recorded before it is sent,
retried after a busy Market, told once); a file is sent at once (its bytes are not kept).
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.chats import MESSAGE_LIMIT, WAITING, Chat, ChatMessage, ContextType
from bot.domain.clock import utcnow
from bot.domain.errors import ChatNotSent, NoChatScope, NotAllowedForCouriers, OrderNotFound, Refused
from bot.domain.operations import ChatReply
from bot.domain.outcomes import Outcome
from bot.domain.records import ChatPost, Role
from bot.market.client import MarketClient
from bot.market.errors import ForbiddenError, MarketError, NotFoundError
from bot.services.access import Access
from bot.services.notices import Notices
from bot.services.operations import Operations
from bot.services.orders import OrdersService
from storage.db import Database
from storage.repositories import Repos
from storage.secrets import SecretBox

SHOWN_MESSAGES = 10  # a chat opened from /chats shows its newest messages
MAX_HISTORY_PAGES = 10  # of 100 messages each
MAX_WAITING_PAGES = 5  # of 20 chats each


@dataclass(frozen=True, slots=True)
class ChatPlace:
    """A chat the user may write to, with the order it is about (None: a question about a product)."""

    chat_id: int
    order_id: int | None


@dataclass(frozen=True, slots=True)
class Upload:
    """A photo or a file the user sends on to a buyer's chat."""

    name: str
    data: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class ChatLog:
    """A chat and its newest messages (oldest of them first)."""

    chat: Chat
    messages: list[ChatMessage]


class ChatDesk:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        market: MarketClient,
        orders: OrdersService,
        operations: Operations,
        notices: Notices,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self._box = box
        self._market = market
        self._orders = orders
        self._operations = operations
        self._notices = notices
        self.clock = clock

    @property
    def _repos(self) -> Repos:
        return Repos.on(self._db, self._box)

    @staticmethod
    def may_write(access: Access) -> bool:
        """The owner always; a courier while the owner lets couriers write to buyers (/team)."""
        return access.is_owner or access.shop.couriers_write

    def _check_writer(self, access: Access) -> None:
        if not self.may_write(access):
            raise NotAllowedForCouriers("chat-couriers-off")

    async def _business(self, access: Access) -> int:
        return await self._orders.business_id(access.api_key, access.shop)

    async def chat(self, access: Access, chat_id: int) -> Chat:
        """The chat, if it is this shop's and the user may see it (a courier: chats about orders).
        Raises `Refused("chat-gone")` otherwise, `NoChatScope` for a key without chats."""
        if chat_id < 1:  # no chat has such an id: a forged button
            raise Refused("chat-gone")
        business_id = await self._business(access)
        try:
            chat = await self._market.get_chat(access.api_key, business_id, chat_id)
        except NotFoundError as exc:
            raise Refused("chat-gone") from exc
        except ForbiddenError as exc:
            raise NoChatScope from exc
        campaign_id = chat.context.campaign_id
        if campaign_id is not None and campaign_id != access.campaign_id:
            raise Refused("chat-gone")
        if not access.is_owner and (chat.context.type is not ContextType.ORDER or campaign_id is None):
            raise Refused("chat-gone")
        return chat

    async def order_chat(self, access: Access, order_id: int) -> int:
        """The buyer's chat about an order of the shop (opened if there is none yet): its id."""
        self._check_writer(access)
        order = await self._orders.lookup(access.api_key, access.shop, order_id)
        if order is None:
            raise OrderNotFound(order_id)
        business_id = await self._business(access)
        try:
            return await self._market.create_chat(access.api_key, business_id, order_id)
        except ForbiddenError as exc:
            raise NoChatScope from exc
        except MarketError as exc:
            raise ChatNotSent(exc.failure, "chat-not-opened") from exc

    async def send_text(
        self, access: Access, chat_id: int, text: str, nonce: str, *, known: ChatPlace | None = None
    ) -> Outcome:
        """A message to the chat: recorded, then sent (a busy Market: queued, retried, told later).
        `known`: the chat as the bot showed it to this user (a buyer's message, an open reply step),
        not asked of the Market again. Raises `Refused` for an empty or too long text (with its
        length), a chat not the user's."""
        self._check_writer(access)
        text = text.strip()
        if not text:
            raise Refused("chat-empty").asking_again()
        if len(text) > MESSAGE_LIMIT:
            raise Refused("chat-too-long", count=len(text), limit=MESSAGE_LIMIT).asking_again()
        place = known or await self._place(access, chat_id)
        after = await self._repos.chat_watch.last(access.shop_id, chat_id)
        action = ChatReply(chat_id=chat_id, message=text, after=after)
        outcome = await self._operations.confirm(access, place.order_id or 0, action, nonce)
        if outcome.ok:
            await self.answered(access, chat_id)
        return outcome

    async def told(self, outcome: Outcome) -> None:
        """The user has seen the message's result (a queued one is told by the worker later)."""
        if not outcome.pending:
            await self._operations.told(outcome.operation.id)

    async def send_file(
        self,
        access: Access,
        chat_id: int,
        upload: Upload,
        *,
        known: ChatPlace | None = None,
    ) -> ChatPlace:
        """A file to the chat, sent now. Raises `ChatNotSent` with the Market's answer when refused."""
        self._check_writer(access)
        place = known or await self._place(access, chat_id)
        business_id = await self._business(access)
        try:
            await self._market.send_chat_file(
                access.api_key,
                business_id,
                chat_id,
                name=upload.name,
                data=upload.data,
                content_type=upload.content_type,
            )
        except ForbiddenError as exc:
            raise NoChatScope from exc
        except MarketError as exc:
            raise ChatNotSent(exc.failure) from exc
        await self.answered(access, chat_id)
        return place

    async def _place(self, access: Access, chat_id: int) -> ChatPlace:
        chat = await self.chat(access, chat_id)
        return ChatPlace(chat.chat_id, chat.context.order_id)

    async def remember(self, access: Access, tg_message_id: int, place: ChatPlace) -> None:
        """A message the bot showed this user about the chat (its last messages, a message's result):
        a Telegram reply to it answers the chat too."""
        post = ChatPost(
            user_id=access.user_id,
            tg_message_id=tg_message_id,
            shop_id=access.shop_id,
            chat_id=place.chat_id,
            message_id=0,
            order_id=place.order_id,
            header=False,
            answered_by=None,
        )
        await self._repos.chat_posts.add(post, self.clock())

    async def answered(self, access: Access, chat_id: int) -> None:
        """The others' copies of the buyer's messages in this chat say who answered."""
        repos = self._repos
        others = await repos.chat_posts.others_unanswered(access.shop_id, chat_id, access.user_id)
        if not others:
            return
        who = (await repos.users.names([access.user_id])).get(access.user_id) or str(access.user_id)
        for post in others:
            member = await repos.memberships.of_user_in(post.user_id, access.shop_id)
            if member is None:
                continue
            await repos.chat_posts.answered(post.user_id, post.tg_message_id, access.user_id)
            may_reply = member.role is Role.OWNER or member.shop.couriers_write
            await self._notices.chat_answered(post, who, may_reply)

    async def waiting(self, access: Access) -> list[Chat]:
        """The shop's chats waiting for its answer, the longest waiting first (a courier: those about
        orders)."""
        business_id = await self._business(access)
        pages = self._market.chat_pages(
            access.api_key, business_id, max_pages=MAX_WAITING_PAGES, statuses=list(WAITING)
        )
        chats: list[Chat] = []
        try:
            async for chat in pages.items():
                campaign_id = chat.context.campaign_id
                mine = campaign_id == access.campaign_id or (campaign_id is None and access.is_owner)
                if mine and (access.is_owner or chat.context.type is ContextType.ORDER):
                    chats.append(chat)
        except ForbiddenError as exc:
            raise NoChatScope from exc
        return sorted(chats, key=lambda c: c.updated_at)

    async def log(self, access: Access, chat_id: int) -> ChatLog:
        """The chat and its newest `SHOWN_MESSAGES` messages."""
        chat = await self.chat(access, chat_id)
        business_id = await self._business(access)
        newest: deque[ChatMessage] = deque(maxlen=SHOWN_MESSAGES)
        token: str | None = None
        for _ in range(MAX_HISTORY_PAGES):
            page = await self._market.get_chat_history(access.api_key, business_id, chat_id, page_token=token)
            newest.extend(page.messages)
            token = page.next_page_token
            if not token:
                break
        return ChatLog(chat, list(newest))

    async def chats_shown_since(self, user_id: int, since: dt.datetime) -> set[int]:
        """The chats the bot showed this user something about since then (buyers' messages, results)."""
        return await self._repos.chat_posts.chats_shown_since(user_id, since)

    async def route(self, user_id: int, tg_message_id: int) -> ChatPost | None:
        """The buyer's message a Telegram message of this user showed (a reply to it answers there)."""
        return await self._repos.chat_posts.route(user_id, tg_message_id)
