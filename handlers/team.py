"""/team: the owner invites couriers, removes them, sets notices and what couriers may do, replaces the
key or disconnects.

Also `/start <payload>`: a courier joins through an invite link.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.domain.clock import MSK
from bot.domain.errors import NotACourier
from bot.domain.invites import deep_link, looks_like_token, share_link
from bot.domain.records import Invite, Member, Role, Shop
from bot.services.access import Access
from bot.services.shops import ShopsService
from bot.services.team import JoinResult, TeamService
from bot.telegram.access import requires, user_id_of
from bot.telegram.flows import Flows
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons
from bot.telegram.views import MESSAGE_LIMIT, fit, orders_listed

MAX_COURIER_BUTTONS = 40  # two buttons each: Telegram takes at most 100 in one keyboard
JOIN_REFUSALS = {
    JoinResult.USED: "invite-used",
    JoinResult.EXPIRED: "invite-expired",
    JoinResult.ALREADY_MEMBER: "invite-already-member",
}


class TeamCD(CallbackData, prefix="tm"):
    """`action` on shop `shop_id` (and member `user_id`); the presser's role is re-checked every time."""

    # invite | revoke | remove | remove_yes | promote | promote_yes | notify | dates | write | rekey
    # | disconnect | disconnect_yes | back
    action: str
    shop_id: int
    user_id: int = 0


async def show_team(message: Message, t: Texts, access: Access, team: TeamService) -> None:
    text, keyboard = await _render(t, access.shop, team)
    await message.answer(text, reply_markup=keyboard)


async def on_invite(
    query: CallbackQuery, card: Message, bot: Bot, t: Texts, access: Access, team: TeamService
) -> None:
    invite = await team.invite(access.shop, access.user_id)
    link = deep_link((await bot.me()).username or "", invite.token)
    text = t("team-invite", shop=access.shop.title, link=link, hours=invite.hours)
    share = share_link(link, t.plain("team-invite-share-text", shop=access.shop.title))
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t.plain("team-button-share"), url=share)]]
    )
    await card.answer(text, reply_markup=keyboard, disable_web_page_preview=True)


async def on_remove(
    query: CallbackQuery, callback_data: TeamCD, card: Message, t: Texts, access: Access, team: TeamService
) -> None:
    await _ask_about_courier(query, callback_data.user_id, card, t, access, team, "remove")


async def on_promote(
    query: CallbackQuery, callback_data: TeamCD, card: Message, t: Texts, access: Access, team: TeamService
) -> None:
    await _ask_about_courier(query, callback_data.user_id, card, t, access, team, "promote")


async def _ask_about_courier(
    query: CallbackQuery, target: int, card: Message, t: Texts, access: Access, team: TeamService, action: str
) -> None:
    """«Remove X?» / «Hand the shop over to X?»: «⛔ Да, удалить X» / «Не удалять» (the buttons name
    the act, and not doing it); nobody outside the team is named."""
    shop = access.shop
    name = await team.courier_name(shop, target)  # NotACourier: told as the press's alert
    yes = TeamCD(action=f"{action}_yes", shop_id=shop.id, user_id=target)
    keyboard = buttons(
        [
            (t.plain(f"team-{action}-yes", name=name), yes),
            (t(f"team-{action}-no"), TeamCD(action="back", shop_id=shop.id)),
        ]
    )
    await card.edit_text(t(f"team-{action}-ask", name=name, shop=shop.title), reply_markup=keyboard)


async def on_remove_confirmed(
    query: CallbackQuery, callback_data: TeamCD, card: Message, t: Texts, access: Access, team: TeamService
) -> None:
    try:
        removed = await team.remove_courier(access.shop, callback_data.user_id)
    except NotACourier:
        await card.edit_text(t("team-remove-gone"), reply_markup=None)
        return
    note: str = t("team-removed", name=removed.name)
    if cancelled := removed.cancelled_orders:
        note += "\n" + t("team-ops-cancelled", orders=orders_listed(t, cancelled), count=len(cancelled))
    await _refresh(card, t, access.shop, team, note)


async def on_notices(
    query: CallbackQuery, card: Message, t: Texts, access: Access, shops: ShopsService, team: TeamService
) -> None:
    await _refresh(card, t, await shops.toggle_notices(access.shop), team)


async def on_courier_dates(
    query: CallbackQuery, card: Message, t: Texts, access: Access, shops: ShopsService, team: TeamService
) -> None:
    await _refresh(card, t, await shops.next_courier_dates(access.shop), team)


async def on_couriers_write(
    query: CallbackQuery, card: Message, t: Texts, access: Access, team: TeamService
) -> None:
    await _refresh(card, t, await team.toggle_couriers_write(access.shop), team)


async def on_rekey(
    query: CallbackQuery, card: Message, state: FSMContext, t: Texts, access: Access, flows: Flows
) -> None:
    await state.clear()
    await state.set_state(flows["settings"].first)  # /settings' key step
    text = t("team-rekey", shop=access.shop.title) + "\n\n" + t("settings-ask-key")
    await card.answer(text, disable_web_page_preview=True)


async def on_disconnect(
    query: CallbackQuery, card: Message, t: Texts, access: Access, shops: ShopsService
) -> None:
    shop = access.shop
    keyboard = buttons(
        [
            (t("team-disconnect-yes"), TeamCD(action="disconnect_yes", shop_id=shop.id)),
            (t("team-disconnect-no"), TeamCD(action="back", shop_id=shop.id)),
        ]
    )
    pending = await shops.unfinished_count(shop)
    await card.edit_text(t("team-disconnect-ask", shop=shop.title, pending=pending), reply_markup=keyboard)


async def on_disconnect_confirmed(
    query: CallbackQuery, card: Message, t: Texts, access: Access, shops: ShopsService
) -> None:
    own = await shops.disconnect(access.shop)
    text: str = t("team-disconnected", shop=access.shop.title)
    if own:
        text += "\n" + t("team-disconnected-own-ops", orders=orders_listed(t, own), count=len(own))
    await card.edit_text(text, reply_markup=None)


async def on_revoke(query: CallbackQuery, card: Message, t: Texts, access: Access, team: TeamService) -> None:
    revoked = await team.revoke_invites(access.shop)
    await _refresh(card, t, access.shop, team, t("team-invites-revoked", count=revoked))


async def on_promote_confirmed(
    query: CallbackQuery, callback_data: TeamCD, card: Message, t: Texts, access: Access, team: TeamService
) -> None:
    try:
        name = await team.hand_over(access.shop, callback_data.user_id)
    except NotACourier:
        await card.edit_text(t("team-remove-gone"), reply_markup=None)
        return
    await card.edit_text(t("team-handed-over", shop=access.shop.title, name=name), reply_markup=None)


async def on_back(query: CallbackQuery, card: Message, t: Texts, access: Access, team: TeamService) -> None:
    await _refresh(card, t, access.shop, team)


async def join_by_invite(
    message: Message, command: CommandObject, state: FSMContext, t: Texts, team: TeamService
) -> None:
    await state.clear()
    payload = command.args
    if payload is None or not looks_like_token(payload):
        await message.answer(t("invite-unknown"))
        return
    joined = await team.join(user_id_of(message), payload)
    if joined.result is JoinResult.JOINED and joined.shop is not None:
        await message.answer(t("invite-joined", shop=joined.shop.title))
        return
    key = JOIN_REFUSALS.get(joined.result, "invite-unknown")
    await message.answer(t(key, shop=joined.shop.title if joined.shop else ""))


async def _refresh(card: Message, t: Texts, shop: Shop, team: TeamService, note: str | None = None) -> None:
    text, keyboard = await _render(t, shop, team)
    await card.edit_text(f"{note}\n\n{text}" if note else text, reply_markup=keyboard)


async def _render(t: Texts, shop: Shop, team: TeamService) -> tuple[str, InlineKeyboardMarkup]:
    members, invites = await team.members(shop), await team.open_invites(shop)
    return _team_text(t, shop, members, invites), _team_keyboard(t, shop, members, invites)


def _team_text(t: Texts, shop: Shop, members: list[Member], invites: list[Invite]) -> str:
    lines = [t("team-head", shop=shop.title)]
    lines += [t(f"team-member-{member.role.value}", name=member.label) for member in members]
    if len(members) == 1:
        lines.append(t("team-empty"))
    if invites:
        until = invites[-1].expires_at.astimezone(MSK).strftime("%d.%m %H:%M")
        lines.append(t("team-invites-open", count=len(invites), until=until))
    lines.append(t("team-notices-on") if shop.notify_owner else t("team-notices-off"))
    lines.append(t(f"team-dates-{shop.courier_dates.value}"))
    lines.append(t("team-write-yes" if shop.couriers_write else "team-write-no"))
    return fit("\n".join(lines), MESSAGE_LIMIT - 600)  # room for a note above it


def _team_keyboard(
    t: Texts, shop: Shop, members: list[Member], invites: list[Invite]
) -> InlineKeyboardMarkup:
    rows: list[tuple[str, TeamCD]] = [(t("team-button-invite"), TeamCD(action="invite", shop_id=shop.id))]
    if invites:
        rows.append((t("team-button-revoke"), TeamCD(action="revoke", shop_id=shop.id)))
    couriers = [m for m in members if m.role is Role.COURIER][:MAX_COURIER_BUTTONS]
    for m in couriers:
        rows.append(
            (
                t.plain("team-button-remove", name=m.label),
                TeamCD(action="remove", shop_id=shop.id, user_id=m.user_id),
            )
        )
        rows.append(
            (
                t.plain("team-button-promote", name=m.label),
                TeamCD(action="promote", shop_id=shop.id, user_id=m.user_id),
            )
        )
    rows += [
        (
            t("team-button-notices-off" if shop.notify_owner else "team-button-notices-on"),
            TeamCD(action="notify", shop_id=shop.id),
        ),
        (t("team-button-dates"), TeamCD(action="dates", shop_id=shop.id)),
        (
            t("team-button-write-yes" if shop.couriers_write else "team-button-write-no"),
            TeamCD(action="write", shop_id=shop.id),
        ),
        (t("team-button-rekey"), TeamCD(action="rekey", shop_id=shop.id)),
        (t("team-button-disconnect"), TeamCD(action="disconnect", shop_id=shop.id)),
    ]
    return buttons(rows)


ACTIONS: dict[str, Callable[..., Awaitable[None]]] = {
    "invite": on_invite,
    "remove": on_remove,
    "remove_yes": on_remove_confirmed,
    "notify": on_notices,
    "dates": on_courier_dates,
    "write": on_couriers_write,
    "rekey": on_rekey,
    "disconnect": on_disconnect,
    "disconnect_yes": on_disconnect_confirmed,
    "back": on_back,
    "revoke": on_revoke,
    "promote": on_promote,
    "promote_yes": on_promote_confirmed,
}


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order."""
    router.message.register(join_by_invite, CommandStart(deep_link=True))
    router.message.register(
        show_team, Command("team"), flags=requires(owner=True, owner_refusal="team-owner-only")
    )
    owner_button = requires("button", owner=True, refusal="team-not-owner")
    for action, handler in ACTIONS.items():
        router.callback_query.register(handler, TeamCD.filter(F.action == action), flags=owner_button)
