"""/team: the owner invites couriers, removes them, sets notices, replaces the key or disconnects.

Also `/start <payload>`: a courier joins through an invite link.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject

from bot.i18n import Catalogue, Texts
from bot.invites import deep_link, expiry, looks_like_token, new_token, token_hash
from bot.keyboards import buttons
from handlers.settings import SettingsSG
from handlers.shared import user_id_of
from storage.models import Member, RedeemResult, Role, Shop, ShopMembership
from storage.repositories import (
    InvitesRepo,
    MembershipsRepo,
    OperationsRepo,
    SettingsRepo,
    ShopsRepo,
    UsersRepo,
    utcnow,
)

logger = logging.getLogger(__name__)


class TeamCD(CallbackData, prefix="tm"):
    """`action` on shop `shop_id` (and member `user_id`); the presser's role is re-checked every time."""

    action: str  # invite | remove | remove_yes | notify | rekey | disconnect | disconnect_yes | back
    shop_id: int
    user_id: int = 0


async def show_team(message: Message, t: Texts, settings: SettingsRepo, memberships: MembershipsRepo) -> None:
    active = await settings.active_shop(user_id_of(message))
    if active is None:
        await message.answer(t("no-shop"))
        return
    if active.role is not Role.OWNER:
        await message.answer(t("team-owner-only", shop=active.shop.title))
        return
    members = await memberships.team(active.shop.id)
    await message.answer(_team_text(t, active, members), reply_markup=_team_keyboard(t, active, members))


class OwnerOnly(BaseMiddleware):
    """Runs after a TeamCD button matched: the presser must own the shop the button names, right now.

    Then the query is answered and the handler gets `shop` (fresh from the database) and `card` (the
    message the button is on); otherwise the press is refused with «⛔» and no handler runs.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        query, button = event, data.get("callback_data")
        if not isinstance(query, CallbackQuery) or not isinstance(button, TeamCD):
            return await handler(event, data)
        memberships: MembershipsRepo = data["memberships"]
        membership = await memberships.get(query.from_user.id, button.shop_id)
        shop = await data["shops"].get(button.shop_id)
        if (
            membership is None
            or shop is None
            or membership.role is not Role.OWNER
            or not isinstance(query.message, Message)
        ):
            await query.answer(data["t"]("team-not-owner"), show_alert=True)
            return None
        await query.answer()
        return await handler(event, {**data, "shop": shop, "card": query.message})


async def on_invite(
    query: CallbackQuery,
    shop: Shop,
    card: Message,
    bot: Bot,
    t: Texts,
    invites: InvitesRepo,
    invite_ttl_seconds: int,
) -> None:
    token = new_token()
    expires_at = expiry(utcnow(), invite_ttl_seconds)
    await invites.create(
        shop_id=shop.id, created_by=query.from_user.id, token_hash=token_hash(token), expires_at=expires_at
    )
    me = await bot.me()
    link = deep_link(me.username or "", token)
    hours = max(1, invite_ttl_seconds // 3600)
    await card.answer(
        t("team-invite", shop=shop.title, link=link, hours=hours), disable_web_page_preview=True
    )


async def on_remove(
    _query: CallbackQuery, callback_data: TeamCD, shop: Shop, card: Message, t: Texts, users: UsersRepo
) -> None:
    target = callback_data.user_id
    name = (await users.names([target])).get(target, str(target))
    keyboard = buttons(
        [
            (t("team-remove-yes", name=name), TeamCD(action="remove_yes", shop_id=shop.id, user_id=target)),
            (t("button-cancel"), TeamCD(action="back", shop_id=shop.id)),
        ]
    )
    await card.edit_text(t("team-remove-ask", name=name, shop=shop.title), reply_markup=keyboard)


async def on_remove_confirmed(
    _query: CallbackQuery,
    callback_data: TeamCD,
    shop: Shop,
    card: Message,
    bot: Bot,
    t: Texts,
    catalogue: Catalogue,
    memberships: MembershipsRepo,
    users: UsersRepo,
) -> None:
    target = callback_data.user_id
    member = await memberships.get(target, shop.id)
    if member is None or member.role is not Role.COURIER:
        await card.edit_text(t("team-remove-gone"), reply_markup=None)
        return
    await memberships.remove(target, shop.id)
    name = (await users.names([target])).get(target, str(target))
    await _tell(bot, catalogue, users, target, "team-you-were-removed", shop=shop.title)
    await _refresh(card, t, shop, memberships, t("team-removed", name=name))


async def on_notices(
    _query: CallbackQuery, shop: Shop, card: Message, t: Texts, memberships: MembershipsRepo, shops: ShopsRepo
) -> None:
    await shops.set_notify_owner(shop.id, not shop.notify_owner)
    await _refresh(card, t, await shops.get(shop.id) or shop, memberships)


async def on_rekey(_query: CallbackQuery, shop: Shop, card: Message, state: FSMContext, t: Texts) -> None:
    await state.clear()
    await state.set_state(SettingsSG.api_key)
    text = t("team-rekey", shop=shop.title) + "\n\n" + t("settings-ask-key")
    await card.answer(text, disable_web_page_preview=True)


async def on_disconnect(
    _query: CallbackQuery, shop: Shop, card: Message, t: Texts, operations: OperationsRepo
) -> None:
    keyboard = buttons(
        [
            (t("team-disconnect-yes"), TeamCD(action="disconnect_yes", shop_id=shop.id)),
            (t("button-cancel"), TeamCD(action="back", shop_id=shop.id)),
        ]
    )
    pending = len(await operations.unfinished(shop.id))
    await card.edit_text(t("team-disconnect-ask", shop=shop.title, pending=pending), reply_markup=keyboard)


async def on_disconnect_confirmed(
    _query: CallbackQuery,
    shop: Shop,
    card: Message,
    bot: Bot,
    t: Texts,
    catalogue: Catalogue,
    memberships: MembershipsRepo,
    shops: ShopsRepo,
    users: UsersRepo,
    operations: OperationsRepo,
) -> None:
    """Tell everyone affected, then forget the shop (its key, team, invites and operations)."""
    for op in await operations.unfinished(shop.id):
        await _tell(bot, catalogue, users, op.user_id, "team-op-dropped", id=op.order_id, shop=shop.title)
    for member in await memberships.team(shop.id):
        if member.role is Role.COURIER:
            await _tell(bot, catalogue, users, member.user_id, "team-shop-disconnected", shop=shop.title)
    await shops.delete(shop.id)
    await card.edit_text(t("team-disconnected", shop=shop.title), reply_markup=None)


async def on_back(
    _query: CallbackQuery, shop: Shop, card: Message, t: Texts, memberships: MembershipsRepo
) -> None:
    await _refresh(card, t, shop, memberships)


async def join_by_invite(
    message: Message,
    command: CommandObject,
    bot: Bot,
    state: FSMContext,
    t: Texts,
    catalogue: Catalogue,
    invites: InvitesRepo,
    shops: ShopsRepo,
    users: UsersRepo,
) -> None:
    await state.clear()
    payload = command.args
    if payload is None or not looks_like_token(payload):
        await message.answer(t("invite-unknown"))
        return
    user_id = user_id_of(message)
    result, shop_id = await invites.redeem(token_hash(payload), user_id, utcnow())
    shop = await shops.get(shop_id) if shop_id else None
    if result is not RedeemResult.JOINED or shop is None:
        key = {
            RedeemResult.USED: "invite-used",
            RedeemResult.EXPIRED: "invite-expired",
            RedeemResult.ALREADY_MEMBER: "invite-already-member",
        }.get(result, "invite-unknown")
        await message.answer(t(key, shop=shop.title if shop else ""))
        return
    await message.answer(t("invite-joined", shop=shop.title))
    name = (await users.names([user_id])).get(user_id, str(user_id))
    await _tell(bot, catalogue, users, shop.owner_id, "team-courier-joined", name=name, shop=shop.title)


async def _tell(
    bot: Bot, catalogue: Catalogue, users: UsersRepo, user_id: int, key: str, **args: object
) -> None:
    user = await users.get(user_id)
    text = catalogue.texts(user.language if user else None)(key, **args)
    try:
        await bot.send_message(user_id, text)
    except TelegramAPIError as exc:
        logger.warning("could not notify user: %s", type(exc).__name__)


async def _refresh(
    message: Message, t: Texts, shop: Shop, memberships: MembershipsRepo, note: str | None = None
) -> None:
    owner = ShopMembership(shop=shop, role=Role.OWNER)
    members = await memberships.team(shop.id)
    text = _team_text(t, owner, members)
    await message.edit_text(
        f"{note}\n\n{text}" if note else text, reply_markup=_team_keyboard(t, owner, members)
    )


def _team_text(t: Texts, owner: ShopMembership, members: list[Member]) -> str:
    lines = [t("team-head", shop=owner.shop.title)]
    for member in members:
        lines.append(t(f"team-member-{member.role.value}", name=member.label))
    if len(members) == 1:
        lines.append(t("team-empty"))
    lines.append(t("team-notices-on") if owner.shop.notify_owner else t("team-notices-off"))
    return "\n".join(lines)


def _team_keyboard(t: Texts, owner: ShopMembership, members: list[Member]) -> InlineKeyboardMarkup:
    shop_id = owner.shop.id
    rows = [(t("team-button-invite"), TeamCD(action="invite", shop_id=shop_id))]
    rows += [
        (t("team-button-remove", name=m.label), TeamCD(action="remove", shop_id=shop_id, user_id=m.user_id))
        for m in members
        if m.role is Role.COURIER
    ]
    rows += [
        (
            t("team-button-notices-off" if owner.shop.notify_owner else "team-button-notices-on"),
            TeamCD(action="notify", shop_id=shop_id),
        ),
        (t("team-button-rekey"), TeamCD(action="rekey", shop_id=shop_id)),
        (t("team-button-disconnect"), TeamCD(action="disconnect", shop_id=shop_id)),
    ]
    return buttons(rows)


ACTIONS: dict[str, Callable[..., Awaitable[None]]] = {
    "invite": on_invite,
    "remove": on_remove,
    "remove_yes": on_remove_confirmed,
    "notify": on_notices,
    "rekey": on_rekey,
    "disconnect": on_disconnect,
    "disconnect_yes": on_disconnect_confirmed,
    "back": on_back,
}


def create_router() -> Router:
    router = Router(name="team")
    router.callback_query.middleware(OwnerOnly())
    router.message.register(join_by_invite, CommandStart(deep_link=True))
    router.message.register(show_team, Command("team"))
    for action, handler in ACTIONS.items():
        router.callback_query.register(handler, TeamCD.filter(F.action == action))
    return router
