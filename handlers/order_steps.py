"""The steps /track and /date share: starting for the active shop, the order number, the confirmation card."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import Message

from bot.domain.errors import OrderNotFound, OrderUnavailable
from bot.domain.parsing import InputError, parse_order_id
from bot.market.models import BusinessOrder
from bot.services.access import Access
from bot.services.orders import OrdersService
from bot.telegram.draft import Draft, load_draft, save_draft
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons
from bot.telegram.views import failure_text, order_card, status_text


class ConfirmCD(CallbackData, prefix="cf"):
    """Send or cancel the draft shown under `nonce` (random, one per confirmation card) for `shop_id`."""

    action: str  # "send" | "cancel"
    shop_id: int
    nonce: str


@dataclass(frozen=True, slots=True)
class OrderFlow:
    """What differs between the conversations that start from an order (track, date)."""

    name: Literal["track", "date"]  # the draft's `flow`
    order_state: State
    ask_key: str
    again_key: str
    refused_key: str
    allowed: Callable[[BusinessOrder], bool]
    services_on_card: bool = False  # name the delivery services of the order's tracks


async def begin(
    message: Message, command_args: str | None, state: FSMContext, t: Texts, access: Access, flow: OrderFlow
) -> str | None:
    """Start a conversation pinned to the user's active shop.

    Returns the order number typed after the command, to be taken as the first answer; None when the
    user has been asked for it.
    """
    await state.clear()
    await save_draft(state, Draft(flow=flow.name, shop_id=access.shop_id))
    await state.set_state(flow.order_state)
    if not command_args:
        await message.answer(t(flow.ask_key, shop=access.shop.title))
        return None
    return command_args


async def take_order(
    message: Message,
    text: str | None,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
    flow: OrderFlow,
) -> tuple[Draft, str] | None:
    """The order-number step: parse, fetch from the conversation's shop, check the status.

    Returns the updated draft and the order's card, or None when the user has been told why not
    (asked again, or the conversation ended).
    """
    try:
        order_id = parse_order_id(text)
    except InputError as exc:
        await message.answer(t(exc.key, **exc.values) + "\n" + t(flow.again_key))
        return None
    try:
        order = await orders.find(access, order_id)
    except OrderNotFound:
        await message.answer(t("order-not-found", id=order_id))
        return None
    except OrderUnavailable as exc:
        if not exc.ask_again:
            await state.clear()
        await message.answer(failure_text(t, exc.failure))
        return None
    names = await orders.service_names(access) if flow.services_on_card else None
    card = order_card(t, order, names)
    if not flow.allowed(order):
        await state.clear()
        await message.answer(card + "\n\n" + t(flow.refused_key, status=status_text(t, order.status)))
        return None
    draft = await load_draft(state) or Draft(flow=flow.name, shop_id=access.shop_id)
    delivery = order.delivery
    tracks = [t.track_code for t in (delivery.tracks if delivery else None) or [] if t.track_code]
    draft = draft.model_copy(
        update={
            "order_id": order_id,
            "order_service_id": delivery.delivery_service_id if delivery else None,
            "replaces": tracks[0] if tracks else None,
        }
    )
    await save_draft(state, draft)
    return draft, card


async def ask_to_confirm(
    message: Message, state: FSMContext, t: Texts, draft: Draft, text: str, *, edit: bool = False
) -> None:
    """Show the confirmation card for the finished draft, under a fresh nonce."""
    nonce = secrets.token_hex(6)
    await save_draft(state, draft.model_copy(update={"nonce": nonce}))
    keyboard = buttons(
        [
            (t("button-send"), ConfirmCD(action="send", shop_id=draft.shop_id, nonce=nonce)),
            (t("button-cancel"), ConfirmCD(action="cancel", shop_id=draft.shop_id, nonce=nonce)),
        ],
        per_row=2,
    )
    if edit:
        await message.edit_text(text, reply_markup=keyboard)
    else:
        await message.answer(text, reply_markup=keyboard)


async def current_draft(state: FSMContext) -> Draft:
    """The draft of a conversation step (the access check has already found it)."""
    draft = await load_draft(state)
    if draft is None:
        raise LookupError("a conversation step ran without its draft")
    return draft


def user_id_of(message: Message) -> int:
    return message.from_user.id if message.from_user else message.chat.id
