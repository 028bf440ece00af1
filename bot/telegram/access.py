"""The one access check. A handler declares what it needs where it is registered:

    router.message.register(show_team, Command("team"), flags=requires(owner=True, ...))

and `AccessMiddleware` (an inner middleware, so it runs only for the handler that matched) resolves
the user's access to the right shop once, from the database, and hands it over as `access` (with
`card`, the message a pressed button is on). When the user may not, it refuses (`Refused`, told with
«⛔» by the error handler) and the handler does not run.

Which shop: "active" (the user's active shop, for commands), "conversation" (the shop the
conversation's draft is pinned to), "button" (the `shop_id` in the pressed button's callback data),
"chat" (the buyer's chat the reply step is open on), "route" (the chat of the buyer's message a
Telegram reply answers, found by its filter as `chat_route`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from bot.domain.errors import Refused
from bot.services.access import Access, AccessService
from bot.telegram.draft import load_chat, load_draft

Source = Literal["active", "conversation", "button", "chat", "route"]
FLAG = "requires"


@dataclass(frozen=True, slots=True)
class Requires:
    shop: Source = "active"
    owner: bool = False
    optional: bool = False  # without any shop the handler still runs, with `access=None`
    refusal: str = "no-shop"  # what a non-member is told
    owner_refusal: str = "team-not-owner"  # what a courier is told where the owner is needed


def requires(
    shop: Source = "active",
    *,
    owner: bool = False,
    optional: bool = False,
    refusal: str = "no-shop",
    owner_refusal: str = "team-not-owner",
) -> dict[str, Any]:
    """Handler flags declaring the access it needs."""
    return {FLAG: Requires(shop, owner, optional, refusal, owner_refusal)}


class AccessMiddleware(BaseMiddleware):
    def __init__(self, service: AccessService) -> None:
        self._service = service

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not _fits_the_database(data.get("callback_data")):  # forged: no id is that large
            raise Refused("stale-button")
        need: Requires | None = get_flag(data, FLAG)
        user: User | None = data.get("event_from_user")
        if need is None or user is None:
            return await handler(event, data)
        if isinstance(event, CallbackQuery):
            if not isinstance(event.message, Message):  # too old to edit: start over
                raise Refused("stale-button")
            data["card"] = event.message
        shop_id = await self._shop_id(need, user.id, data)
        access = await self._service.to(user.id, shop_id) if shop_id is not None else None
        if access is None:
            if need.optional and need.shop == "active":
                data["access"] = None
                return await handler(event, data)
            key = (
                need.refusal if need.shop != "conversation" or isinstance(event, Message) else "stale-button"
            )
            # A message at a step ends its conversation; a reply to a buyer's message opened none.
            raise _refusal(key, ends=isinstance(event, Message) and need.shop != "route")
        if need.owner and not access.is_owner:
            raise Refused(need.owner_refusal, shop=access.shop.title)
        data["access"] = access
        return await handler(event, data)

    async def _shop_id(self, need: Requires, user_id: int, data: dict[str, Any]) -> int | None:
        if need.shop == "button":
            shop_id = getattr(data.get("callback_data"), "shop_id", None)
            return shop_id if isinstance(shop_id, int) else None
        if need.shop == "conversation":
            state: FSMContext = data["state"]
            draft = await load_draft(state)
            return draft.shop_id if draft else None
        if need.shop == "chat":
            chat = await load_chat(data["state"])
            return chat.shop_id if chat else None
        if need.shop == "route":
            route = data.get("chat_route")
            return getattr(route, "shop_id", None)
        return await self._service.active_shop_id(user_id)


INT64 = range(-(2**63), 2**63)  # what SQLite stores as an integer, and the Market's ids fit in


def _fits_the_database(callback_data: object) -> bool:
    """Every number a button carries fits an SQLite integer (a forged one may not)."""
    if not isinstance(callback_data, CallbackData):
        return True
    return all(v in INT64 for v in callback_data.model_dump().values() if isinstance(v, int))


def user_id_of(message: Message) -> int:
    """Who sent `message` (in a private chat, the chat itself when Telegram names no sender)."""
    return message.from_user.id if message.from_user else message.chat.id


def _refusal(key: str, *, ends: bool) -> Refused:
    """Not a member of the shop: a conversation started there ends (a message's, not a press's)."""
    refusal = Refused(key)
    refusal.ends = ends
    return refusal


__all__ = ["Access", "AccessMiddleware", "Requires", "requires", "user_id_of"]
