"""How services tell people things. The Telegram notifier implements it; services never import aiogram."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.domain.alerts import Alert
from bot.domain.chats import Chat, ChatMessage
from bot.domain.market_data import BusinessOrder
from bot.domain.outcomes import Outcome
from bot.domain.records import BatchSummary, ChatPost, Operation, Shop


class OrderNumbers(tuple[int, ...]):
    """Order numbers given to a notice: written as a bounded list («№1, №2 и ещё 430 заказов»), however
    many there are."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Notice:
    """One catalogue text for one user (see `Notices.tell`)."""

    user_id: int
    key: str
    args: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChatFileData:
    """A file of a buyer's message, read from the Market (`data` None: too big or unreadable, so only
    named). Kept in memory while it is shown, never stored."""

    name: str
    data: bytes | None


@dataclass(frozen=True, slots=True)
class ChatNote:
    """A buyer's message (or Market support's) for one member of the shop's team."""

    shop: Shop
    chat: Chat
    message: ChatMessage
    order: BusinessOrder | None
    files: tuple[ChatFileData, ...] = ()
    may_reply: bool = True


class Notices(Protocol):
    async def tell(self, user_id: int, key: str, **args: object) -> None:
        """One catalogue text, in the user's language; a failure to deliver is logged, not raised.
        An `OrderNumbers` argument is written as a bounded list."""

    def tell_soon(self, notices: Sequence[Notice]) -> None:
        """These notices, one after another in the background: what one press tells several people is
        sent after the press is answered, and a slow or refusing chat holds nobody up."""

    async def result_later(self, outcome: Outcome) -> bool:
        """The final result of an operation, to the user who confirmed it. False when Telegram could
        not take it now (try again later); True when delivered, or when it never can be (blocked)."""

    async def owner_notice(self, shop: Shop, outcome: Outcome) -> None:
        """A short line to the shop's owner about a courier's operation."""

    async def batch_progress(self, summary: BatchSummary) -> None:
        """Edit a bulk send's progress message (`12/40 ✅ · 1 ❌ · 3 ⏳`); a failure is logged only."""

    async def batch_report(self, summary: BatchSummary, failed: list[Operation]) -> bool:
        """A bulk send's final report with every failed line and the Market's message. False when
        Telegram could not take it now (try again later)."""

    async def alert(
        self, user_id: int, alert: Alert, shop: Shop, now: dt.datetime
    ) -> tuple[bool, int | None]:
        """An alert with its buttons: (True, its message id) when sent; (True, None) when it never can
        be (the bot is blocked); (False, None) when Telegram could not take it now (try again later)."""

    async def alert_settled(
        self, user_id: int, message_id: int, alert: Alert, request: Alert, shop: Shop, who: str | None
    ) -> None:
        """Show on an alert's message that its request was answered (by `who`), without its buttons."""

    async def chat_message(self, user_id: int, note: ChatNote) -> tuple[bool, list[tuple[int, bool]]]:
        """A buyer's message: its header (order, buyer, text, buttons), then each file as a reply to
        it. (True, [(message id, is the header)...]) when sent, (True, []) when it never can be (the
        bot is blocked), (False, [...]) when Telegram could not take it now (what went out is listed:
        the next try starts again, so a header may come twice, never a missed message)."""

    async def chat_answered(self, post: ChatPost, who: str, may_reply: bool) -> None:
        """Show on another member's copy of a buyer's message that `who` answered the buyer."""

    async def roles_changed(self, user_ids: Iterable[int]) -> None:
        """These users' roles may have changed (a shop connected, a team joined or left, a shop handed
        over or disconnected): what they are offered follows."""
