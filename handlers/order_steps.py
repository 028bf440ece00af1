"""The steps /track and /date share: starting for the active shop, the order number, the confirmation card."""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiogram import Bot, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.domain.errors import FileRefused, MarketFailure, OrderNotFound, OrderUnavailable
from bot.domain.market_data import BusinessOrder, OrderStatus
from bot.domain.parsing import InputError, parse_order_id
from bot.domain.track_codes import order_numbers
from bot.services.access import Access
from bot.services.barcodes import BarcodeReader
from bot.services.orders import OrdersService
from bot.telegram.draft import Draft, Pick, load_draft, save_draft
from bot.telegram.files import picture_of
from bot.telegram.filters import picture
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons, paged
from bot.telegram.views import clip, failure_text, order_card, status_text

PICKS_PER_PAGE = 8
OrderStep = Callable[..., Awaitable[None]]  # a flow's order-number step
TAIL = re.compile(r"[0-9]{3,6}")  # typed at the order step with a list shown: the end of a number


class OrderCD(CallbackData, prefix="od"):
    id: int


class OrderPageCD(CallbackData, prefix="odp"):
    page: int


class ConfirmCD(CallbackData, prefix="cf"):
    """Send or cancel the draft shown under `nonce` (random, one per confirmation card) for `shop_id`."""

    action: str  # "send" | "cancel"
    shop_id: int
    nonce: str


@dataclass(frozen=True, slots=True)
class OrderFlow:
    """What differs between the conversations that start from an order (track, date)."""

    name: Literal["track", "date", "status"]  # the draft's `flow`
    order_state: State
    ask_key: str
    again_key: str
    refused_key: str
    allowed: Callable[[BusinessOrder], bool]
    statuses: tuple[OrderStatus, ...] = ()  # offered to pick from
    services_on_card: bool = False  # name the delivery services of the order's tracks


async def begin(
    message: Message,
    command_args: str | None,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
    flow: OrderFlow,
) -> str | None:
    """Start a conversation pinned to the user's active shop.

    Returns the order number typed after the command, to be taken as the first answer; None when the
    user has been offered the shop's orders to pick from (or asked for the number).
    """
    await state.clear()
    draft = Draft(flow=flow.name, shop_id=access.shop_id)
    await state.set_state(flow.order_state)
    if command_args:
        await save_draft(state, draft)
        return command_args
    try:
        found = await orders.pickable(access, flow.statuses)
    except (MarketFailure, OrderUnavailable):
        found = []  # the list is a convenience: a typed number still works
    picks = [pick_of(order) for order in found]
    await save_draft(state, draft.model_copy(update={"picks": picks}))
    ask = t(flow.ask_key, shop=access.shop.title)
    if not picks:
        await message.answer(ask + "\n" + t("orders-none"))
        return None
    await message.answer(ask + "\n" + t("orders-pick"), reply_markup=picks_page(t, picks, 0))
    return None


def pick_of(order: BusinessOrder) -> Pick:
    dates = order.delivery.dates if order.delivery else None
    item = order.items[0].offer_name if order.items else ""
    return Pick(id=order.order_id, day=dates.from_date if dates else None, item=item)


def picks_page(t: Texts, picks: list[Pick], page: int) -> InlineKeyboardMarkup:
    """Orders as buttons, `…45678 · 25.11 · Чайник электрический…`, 8 a page."""
    items = [(_label(p), OrderCD(id=p.id)) for p in picks]
    more = (t("button-back"), t("button-more"))
    return paged(items, page, PICKS_PER_PAGE, lambda n: OrderPageCD(page=n), more)


def _label(pick: Pick) -> str:
    parts = [f"…{str(pick.id)[-5:]}"]
    if pick.day:
        parts.append(f"{pick.day:%d.%m}")
    if pick.item:
        parts.append(clip(pick.item, 28))
    return " · ".join(parts)


def add_order_picker(router: Router, flow: OrderFlow, on_order_id: OrderStep, flags: dict[str, Any]) -> None:
    """The order list's buttons at `flow`'s order step: a tap is the number typed; «Ещё ▶» pages
    through the list kept in the draft, without asking the Market again. A photo of the parcel label
    picks the order whose number is one of its barcodes."""

    async def on_order_button(
        query: CallbackQuery,
        callback_data: OrderCD,
        card: Message,
        state: FSMContext,
        t: Texts,
        access: Access,
        orders: OrdersService,
    ) -> None:
        await query.answer()
        await on_order_id(card, state, t, access, orders, text=str(callback_data.id))

    async def on_order_page(
        query: CallbackQuery, callback_data: OrderPageCD, card: Message, state: FSMContext, t: Texts
    ) -> None:
        picks = (await current_draft(state)).picks
        await card.edit_reply_markup(reply_markup=picks_page(t, picks, callback_data.page))
        await query.answer()

    async def on_order_picture(
        message: Message,
        bot: Bot,
        state: FSMContext,
        t: Texts,
        access: Access,
        orders: OrdersService,
        barcodes: BarcodeReader,
    ) -> None:
        try:
            numbers = order_numbers(await barcodes.read(await picture_of(message, bot)))
        except FileRefused as exc:
            await message.answer(t(exc.key) + "\n" + t(flow.again_key))
            return
        found = await orders.first_of_shop(access, numbers) if numbers else None
        if found is None:
            await message.answer(t("scan-no-order") + "\n" + t(flow.again_key))
            return
        await on_order_id(message, state, t, access, orders, text=str(found))

    router.callback_query.register(
        on_order_button, StateFilter(flow.order_state), OrderCD.filter(), flags=flags
    )
    router.message.register(on_order_picture, StateFilter(flow.order_state), picture, flags=flags)
    router.callback_query.register(
        on_order_page, StateFilter(flow.order_state), OrderPageCD.filter(), flags=flags
    )


async def start_at_order_step(state: FSMContext, flow: OrderFlow, shop_id: int) -> None:
    """A new conversation of `flow` pinned to `shop_id`, at its order step (the number comes from a
    button: the order card's, or one under a result)."""
    await state.clear()
    await save_draft(state, Draft(flow=flow.name, shop_id=shop_id))
    await state.set_state(flow.order_state)


async def picked_by_tail(message: Message, text: str, t: Texts, draft: Draft) -> int | None:
    """3 to 6 digits typed at the order step: the end of a listed order's number. Returns that order,
    or None when the user has been shown the matches (or told there are none)."""
    tail = text.strip()
    matches = [p for p in draft.picks if str(p.id).endswith(tail)]
    if len(matches) == 1:
        return matches[0].id
    if matches:
        await message.answer(t("orders-tail-several", tail=tail), reply_markup=picks_page(t, matches, 0))
    else:
        await message.answer(t("orders-tail-none", tail=tail), reply_markup=picks_page(t, draft.picks, 0))
    return None


async def take_order(
    message: Message,
    text: str | None,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
    flow: OrderFlow,
) -> tuple[Draft, str, BusinessOrder] | None:
    """The order-number step: parse, fetch from the conversation's shop, check the status.

    `text` is the number (from a button or a command), or None for what the user just wrote. Returns
    the updated draft, the order's card and the order, or None when the user has been told why not
    (asked again, or the conversation ended).
    """
    text = message.text if text is None else text
    current = await load_draft(state)
    if current is not None and current.picks and text and TAIL.fullmatch(text.strip()):
        picked = await picked_by_tail(message, text, t, current)
        if picked is None:
            return None
        text = str(picked)
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
            "order_status": str(order.status),
        }
    )
    await save_draft(state, draft)
    return draft, card, order


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
