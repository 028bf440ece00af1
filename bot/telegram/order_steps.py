"""The steps the conversations about one order share (/track, /date, /order): starting for the active
shop, the order-number step (their confirmation card is bot.telegram.confirm's).

Several handler modules use them, and no handler module imports another: so they live here, next to
the drafts they fill, not in handlers/.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.domain.errors import (
    MarketFailure,
    NotOneListed,
    OrderInOtherShop,
    OrderNotAllowed,
    OrderUnavailable,
)
from bot.domain.market_data import BusinessOrder, OrderStatus
from bot.domain.market_refusals import explain
from bot.domain.operations import DeliveryDate, TrackCode
from bot.domain.outcomes import Outcome
from bot.domain.track_codes import order_numbers
from bot.services.access import Access
from bot.services.barcodes import BarcodeReader
from bot.services.orders import TAIL, OrdersService
from bot.telegram.access import requires
from bot.telegram.alert_views import OpenCD
from bot.telegram.callbacks import SwitchCD
from bot.telegram.draft import (
    D,
    DateDraft,
    OrderDraft,
    Pick,
    TrackDraft,
    current_draft,
    load_draft,
    save_draft,
)
from bot.telegram.files import picture_of
from bot.telegram.filters import picture, plain_text
from bot.telegram.flows import Flow, Flows
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons, paged
from bot.telegram.presses import PRE
from bot.telegram.refusals import Told
from bot.telegram.views import clip, order_card, status_text

PICKS_PER_PAGE = 8
OrderStep = Callable[..., Awaitable[None]]  # a flow's order-number step


class OrderCD(CallbackData, prefix="od"):
    id: int


class OrderPageCD(CallbackData, prefix="odp"):
    page: int


class NextCD(CallbackData, prefix="nx"):
    """«Дальше» under a result: take `step` of `order_id` in `shop_id` (its shop re-checked on the
    server, the order read again)."""

    order_id: int
    shop_id: int
    step: OrderStatus


class FixCD(CallbackData, prefix="fx"):
    """«✏️ Другой трек-номер» / «📅 Другая дата» under a refused write: reopen the one step that fixes
    operation `op_id` (the presser's own in `shop_id`, checked on the server), the rest kept."""

    op_id: int
    shop_id: int


FIXES = {"code": "button-fix-code", "date": "button-fix-date"}  # `Explained.fix` → its button
FIXED_IN = {"track": "track", "date": "date"}  # an operation's kind → the flow that reopens its step


@dataclass(frozen=True, slots=True)
class OrderFlow(Generic[D]):
    """What differs between the conversations that start from an order (track, date, status)."""

    draft: type[D]  # the flow's draft
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
    flow: OrderFlow[Any],
) -> str | None:
    """Start a conversation pinned to the user's active shop.

    Returns the order number typed after the command, to be taken as the first answer; None when the
    user has been offered the shop's orders to pick from (or asked for the number).
    """
    await state.clear()
    draft = flow.draft(shop_id=access.shop_id)
    await state.set_state(flow.order_state)
    if command_args and not TAIL.fullmatch(command_args.strip()):
        await save_draft(state, draft)
        return command_args
    picks = await _picks(access, orders, flow)
    if command_args:  # the end of a number (`/order 003`): matched against the shop's orders
        await save_draft(state, draft.listing(picks))
        return command_args
    await save_draft(state, draft.listing(picks))
    ask = t(flow.ask_key, shop=access.shop.title)
    if not picks:
        await message.answer(ask + "\n" + t("orders-none"))
        return None
    await message.answer(ask + "\n" + t("orders-pick"), reply_markup=picks_page(t, picks, 0))
    return None


async def _picks(access: Access, orders: OrdersService, flow: OrderFlow[Any]) -> list[Pick]:
    """The shop's orders the order step offers."""
    try:
        found = await orders.pickable(access, flow.statuses)
    except (MarketFailure, OrderUnavailable):
        found = []  # the list is a convenience: a typed number still works
    picks = [pick_of(order) for order in found]
    return sorted(picks, key=lambda p: p.tracked)  # stable: nearest delivery first within each part


def pick_of(order: BusinessOrder) -> Pick:
    dates = order.delivery.dates if order.delivery else None
    item = order.items[0].offer_name if order.items else ""
    day = dates.from_date if dates else None
    return Pick(id=order.order_id, day=day, item=item, tracked=order.track_code is not None)


def picks_page(t: Texts, picks: Sequence[Pick], page: int) -> InlineKeyboardMarkup:
    """Orders as buttons, `…45678 · 25.11 · Чайник электрический…`, 8 a page."""
    items = [(_label(p), OrderCD(id=p.id)) for p in picks]
    more = (t("button-back"), t("button-more"))
    return paged(items, page, PICKS_PER_PAGE, lambda n: OrderPageCD(page=n), more)


def _label(pick: Pick) -> str:
    parts = [("✅ " if pick.tracked else "") + f"…{str(pick.id)[-5:]}"]
    if pick.day:
        parts.append(f"{pick.day:%d.%m}")
    if pick.item:
        parts.append(clip(pick.item, 28))
    return " · ".join(parts)


def add_order_flow(
    router: Router,
    flows: Flows,
    flow: OrderFlow[Any],
    entry: Flow,
    command: str,
    on_order_id: OrderStep,
    flags: dict[str, Any],
) -> None:
    """How a conversation about one order starts: its command (an order number may follow it, else
    the shop's orders are offered), its order step (a number typed, a listed order pressed, a label
    photographed), and its entry in the registry (`entry`: other parts start it at the order step,
    answered with an order, as if its number had been typed after the command)."""

    async def start(
        message: Message,
        command: CommandObject,
        state: FSMContext,
        t: Texts,
        access: Access,
        orders: OrdersService,
    ) -> None:
        typed = await begin(message, command.args, state, t, access, orders, flow)
        if typed is not None:
            await on_order_id(message, state, t, access, orders, text=typed)

    async def enter_at_order(
        message: Message, state: FSMContext, t: Texts, access: Access, orders: OrdersService, order_id: int
    ) -> None:
        await start_at_order_step(state, flow, access.shop_id)
        await on_order_id(message, state, t, access, orders, text=str(order_id))

    async def enter_typed(
        message: Message, state: FSMContext, t: Texts, access: Access, orders: OrdersService, typed: str
    ) -> None:
        await start_at_order_step(state, flow, access.shop_id)
        if TAIL.fullmatch(typed.strip()):  # the end of a number: of one of the orders the step lists
            draft = flow.draft(shop_id=access.shop_id).listing(await _picks(access, orders, flow))
            await save_draft(state, draft)
        await on_order_id(message, state, t, access, orders, text=typed)

    flows.add(dataclasses.replace(entry, enter_at_order=enter_at_order, enter_typed=enter_typed))
    router.message.register(start, Command(command), flags=requires())
    router.message.register(on_order_id, StateFilter(flow.order_state), plain_text, flags=flags)
    add_order_picker(router, flow, on_order_id, flags)


def add_order_picker(
    router: Router, flow: OrderFlow[Any], on_order_id: OrderStep, flags: dict[str, Any]
) -> None:
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
        await on_order_id(card, state, t, access, orders, text=str(callback_data.id))

    async def on_order_page(
        query: CallbackQuery, callback_data: OrderPageCD, card: Message, state: FSMContext, t: Texts
    ) -> None:
        picks = (await current_draft(state, OrderDraft)).picks
        await card.edit_reply_markup(reply_markup=picks_page(t, picks, callback_data.page))

    async def on_order_picture(
        message: Message,
        bot: Bot,
        state: FSMContext,
        t: Texts,
        access: Access,
        orders: OrdersService,
        barcodes: BarcodeReader,
    ) -> None:
        numbers = order_numbers(await barcodes.read(await picture_of(message, bot)))
        found = await orders.first_of_shop(access, numbers) if numbers else None
        if found is None:
            await message.answer(t("scan-no-order") + "\n" + t(flow.again_key))
            return
        await on_order_id(message, state, t, access, orders, text=str(found))

    # Answered before the Market is asked for the order: a refusal then comes as a message, as typed.
    router.callback_query.register(
        on_order_button, StateFilter(flow.order_state), OrderCD.filter(), flags=flags | PRE
    )
    router.message.register(on_order_picture, StateFilter(flow.order_state), picture, flags=flags)
    router.callback_query.register(
        on_order_page, StateFilter(flow.order_state), OrderPageCD.filter(), flags=flags
    )


async def start_at_order_step(state: FSMContext, flow: OrderFlow[Any], shop_id: int) -> None:
    """A new conversation of `flow` pinned to `shop_id`, at its order step (the number comes from a
    button: the order card's, or one under a result)."""
    await state.clear()
    await save_draft(state, flow.draft(shop_id=shop_id))
    await state.set_state(flow.order_state)


async def take_order(
    message: Message,
    text: str | None,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
    flow: OrderFlow[D],
) -> tuple[D, str, BusinessOrder]:
    """The order-number step: the orders service takes the order (`OrdersService.take`); this keeps
    it in the draft. Returns the updated draft, the order's card and the order.

    `text` is the number (from a button or a command), or None for what the user just wrote. Its
    refusals go on to the error handler, but for those this step shows in its own way (`Told`): the
    listed orders that match, or the card of an order whose status does not allow the flow.
    """
    text = message.text if text is None else text
    loaded = await load_draft(state)
    draft = loaded if isinstance(loaded, flow.draft) else flow.draft(shop_id=access.shop_id)
    try:
        order = await orders.take(access, text, flow.allowed, [p.id for p in draft.picks])
    except NotOneListed as exc:
        shown = [p for p in draft.picks if p.id in exc.matches] if exc.matches else draft.picks
        await message.answer(t(exc.key, **exc.args_), reply_markup=picks_page(t, shown, 0))
        raise Told from exc
    except OrderInOtherShop as exc:
        await offer_other_shop(message, t, exc)
        raise Told from exc
    except OrderNotAllowed as exc:
        card = await _card(t, access, orders, flow, exc.order)
        await state.clear()
        await message.answer(card + "\n\n" + t(flow.refused_key, status=status_text(t, exc.order.status)))
        raise Told from exc
    card = await _card(t, access, orders, flow, order)
    draft = draft.at_order(order)
    await save_draft(state, draft)
    return draft, card, order


async def offer_other_shop(message: Message, t: Texts, elsewhere: OrderInOtherShop) -> None:
    """The order is in another of the user's shops: which, and «Переключиться» (bot.telegram.callbacks
    `SwitchCD`: that shop becomes the active one, and the conversation goes on with the order)."""
    switch = SwitchCD(shop_id=elsewhere.shop_id, order_id=elsewhere.order_id)
    keyboard = buttons([(t.plain("button-switch-shop", shop=clip(elsewhere.shop, 40)), switch)])
    await message.answer(t(elsewhere.key, **elsewhere.args_), reply_markup=keyboard)


async def _card(
    t: Texts, access: Access, orders: OrdersService, flow: OrderFlow[Any], order: BusinessOrder
) -> str:
    names = await orders.service_names(access) if flow.services_on_card else None
    return order_card(t, order, names)


def fix_action(t: Texts, outcome: Outcome, shop_id: int) -> InlineKeyboardMarkup | None:
    """Under a refused write's ❌: the button that reopens the one step to fix («✏️ Другой
    трек-номер», «📅 Другая дата»), as the Market's refusal says, or for a 400 it does not explain,
    the step of what was typed; nothing for a refusal no typing fixes (a key, a status, a limit)."""
    failure = outcome.failure
    if outcome.ok or outcome.pending or failure is None:
        return None
    explained = explain(failure)
    if explained is not None:
        fix = explained.fix
    else:  # a 400 the bot has no words for: what the user typed is what can be changed
        typed = {TrackCode: "code", DeliveryDate: "date"}.get(type(outcome.operation.action))
        fix = typed if failure.status == 400 else None
    if fix not in FIXES:
        return None
    label = t.plain(FIXES[fix])
    return buttons([(label, FixCD(op_id=outcome.operation.id, shop_id=shop_id))])


def next_action(t: Texts, draft: OrderDraft, shop_id: int) -> InlineKeyboardMarkup | None:
    """Under a write's ✅: «Дальше: <step>» taking the order's next status step itself (after a track
    code on an order in processing, or a status step); after a date or another track code, the
    order's card; nothing once the order is delivered or cancelled."""
    if draft.order_id is None:
        return None
    step = draft.then()
    if step is not None:
        label = t.plain("button-next", step=t.plain(f"button-step-{step.value}"))
        return buttons([(label, NextCD(order_id=draft.order_id, shop_id=shop_id, step=step))])
    if isinstance(draft, TrackDraft | DateDraft):
        opened = OpenCD(order_id=draft.order_id, shop_id=shop_id)
        return buttons([(t.plain("button-open-card"), opened)])
    return None
