"""Steps the track and date conversations share: the shop in use, the order lookup, confirmation."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import InlineKeyboardMarkup, Message

from bot.i18n import Texts
from bot.keyboards import buttons
from bot.market import MarketApiError, MarketClient, MarketError
from bot.market.models import Order
from bot.operations import Failure
from bot.parsing import InputError, parse_order_id
from bot.views import failure_text, order_card
from storage.models import ShopMembership
from storage.repositories import MembershipsRepo, SettingsRepo, ShopsRepo


class ConfirmCD(CallbackData, prefix="cf"):
    """Send or cancel the operation drafted under `nonce` (a random id, one per confirmation card)."""

    action: str  # "send" | "cancel"
    nonce: str


@dataclass(frozen=True, slots=True)
class Access:
    """A user's right to act for one shop, checked against the database just now."""

    membership: ShopMembership
    api_key: str

    @property
    def shop_id(self) -> int:
        return self.membership.shop.id

    @property
    def campaign_id(self) -> int:
        return self.membership.shop.campaign_id


async def active_access(user_id: int, settings: SettingsRepo, shops: ShopsRepo) -> Access | None:
    membership = await settings.active_shop(user_id)
    if membership is None:
        return None
    api_key = await shops.api_key(membership.shop.id)
    return Access(membership, api_key) if api_key else None


async def access_to(
    user_id: int, shop_id: int, memberships: MembershipsRepo, shops: ShopsRepo
) -> Access | None:
    """Re-authorise on the server: is this user (still) a member of this shop?"""
    membership = await memberships.get(user_id, shop_id)
    shop = await shops.get(shop_id)
    if membership is None or shop is None:
        return None
    api_key = await shops.api_key(shop_id)
    return Access(ShopMembership(shop=shop, role=membership.role), api_key) if api_key else None


@dataclass(frozen=True, slots=True)
class Lookup:
    order: Order | None = None
    reply: str | None = None  # what to tell the user when there is no order
    ask_again: bool = False  # the same step should be asked again


async def lookup_order(market: MarketClient, access: Access, order_id: int, t: Texts) -> Lookup:
    try:
        return Lookup(order=await market.get_order(access.api_key, access.campaign_id, order_id))
    except MarketApiError as exc:
        if exc.status == 404:
            return Lookup(reply=t("order-not-found", id=order_id), ask_again=True)
        if exc.status == 400:
            return Lookup(reply=failure_text(t, Failure.of(exc)), ask_again=True)
        return Lookup(reply=failure_text(t, Failure.of(exc)), ask_again=exc.retryable)
    except MarketError as exc:
        return Lookup(reply=failure_text(t, Failure.of(exc)), ask_again=True)


@dataclass(frozen=True, slots=True)
class OrderFlow:
    """What differs between the conversations that start from an order (track, date)."""

    name: str  # stored in FSM data as `flow`
    order_state: State
    ask_key: str
    again_key: str
    refused_key: str
    allowed: Callable[[Order], bool]


async def begin_flow(
    message: Message,
    command_args: str | None,
    state: FSMContext,
    t: Texts,
    settings: SettingsRepo,
    shops: ShopsRepo,
    flow: OrderFlow,
) -> str | None:
    """Start a conversation for the user's active shop (refusing if there is none).

    Returns the order number typed after the command, to be taken as the first answer; None when
    there is nothing more to do now (refused, or asked for the order number).
    """
    access = await active_access(user_id_of(message), settings, shops)
    if access is None:
        await refuse_no_shop(message, state, t)
        return None
    await state.clear()
    await state.update_data(flow=flow.name, shop_id=access.shop_id)
    await state.set_state(flow.order_state)
    if not command_args:
        await message.answer(t(flow.ask_key, shop=access.membership.shop.title))
        return None
    return command_args


async def take_order(
    message: Message,
    text: str | None,
    state: FSMContext,
    t: Texts,
    settings: SettingsRepo,
    shops: ShopsRepo,
    market: MarketClient,
    flow: OrderFlow,
    names: Callable[[Access], Awaitable[dict[int, str]]] | None = None,
) -> tuple[Access, str] | None:
    """The order-ID step: parse, fetch, check the status. Returns the shop access and the order's card,
    or None when the user has been told why not (asked again, or the conversation ended)."""
    try:
        order_id = parse_order_id(text)
    except InputError as exc:
        await message.answer(t(exc.key) + "\n" + t(flow.again_key))
        return None
    access = await active_access(user_id_of(message), settings, shops)
    if access is None:
        await refuse_no_shop(message, state, t)
        return None
    found = await lookup_order(market, access, order_id, t)
    if found.order is None:
        if not found.ask_again:
            await state.clear()
        await message.answer(found.reply or "")
        return None
    card = order_card(t, found.order, await names(access) if names else None)
    if not flow.allowed(found.order):
        await state.clear()
        status = t(f"status-{found.order.status.value}")
        await message.answer(card + "\n\n" + t(flow.refused_key, status=status))
        return None
    await state.update_data(order_id=order_id)
    return access, card


def new_nonce() -> str:
    return secrets.token_hex(6)


def confirm_keyboard(t: Texts, nonce: str) -> InlineKeyboardMarkup:
    return buttons(
        [
            (t("button-send"), ConfirmCD(action="send", nonce=nonce)),
            (t("button-cancel"), ConfirmCD(action="cancel", nonce=nonce)),
        ],
        per_row=2,
    )


async def refuse_no_shop(message: Message, state: FSMContext, t: Texts) -> None:
    await state.clear()
    await message.answer(t("no-shop"))


def user_id_of(message: Message) -> int:
    return message.from_user.id if message.from_user else message.chat.id
