"""/order: the order card, with the actions its status allows under it.

«🚚 Передан в доставку» (PROCESSING → DELIVERY), «🏪 В пункте выдачи» (DELIVERY → PICKUP, pickup
orders only) and «✅ Доставлен» (→ DELIVERED: today or a day before, never a future one) go through
the same confirmation card and outbox as a track code (→ handlers.confirm). «Трек-номер» and
«Перенести дату» start those conversations for this order, its step already answered. «Телефон
покупателя» shows the buyer's name and substitute number (read each time, never logged or kept);
«Отменить заказ» (owner only) cancels it as the shop's failure, after a confirmation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.domain.clock import moscow_today
from bot.domain.errors import Refused
from bot.domain.market_data import BusinessOrder, OrderStatus
from bot.domain.status_steps import delivered_days, next_step, real_date
from bot.services.access import Access
from bot.services.orders import OrdersService
from bot.telegram.access import requires
from bot.telegram.alert_views import OpenCD
from bot.telegram.callbacks import ChatCD
from bot.telegram.confirm import ask_to_confirm
from bot.telegram.draft import StatusDraft, current_draft, load_draft, save_draft
from bot.telegram.flows import Flow, Flows
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons
from bot.telegram.order_steps import (
    NextCD,
    OrderFlow,
    add_order_flow,
    pick_of,
    picks_page,
    start_at_order_step,
    take_order,
)
from bot.telegram.presses import PRE
from bot.telegram.views import buyer_text, human_date, orders_overview, status_text

CANCELLABLE = (OrderStatus.PROCESSING, OrderStatus.DELIVERY)  # the shop cancels with SHOP_FAILED
FINISHED = (OrderStatus.DELIVERED, OrderStatus.CANCELLED)  # no «Написать»: a buyer's message has «Ответить»


class OrderSG(StatesGroup):
    order_id = State()
    card = State()
    day = State()
    confirm = State()


FLOW = OrderFlow(
    draft=StatusDraft,
    order_state=OrderSG.order_id,
    ask_key="order-ask",
    again_key="order-ask-again",
    refused_key="order-no-actions",
    statuses=(OrderStatus.PROCESSING, OrderStatus.DELIVERY, OrderStatus.PICKUP),
    allowed=lambda order: True,  # any order's card can be shown; its actions depend on its status
    services_on_card=True,
)


class CardCD(CallbackData, prefix="oc"):
    """An action under the card of `order_id` (one of ACTIONS): "step" (its next status), "phone",
    "cancel", or the name of a flow to start for the order ("track", "date")."""

    action: str
    order_id: int


class DeliveredCD(CallbackData, prefix="dv"):
    back: int  # days before today (0: today)


async def on_order_id(
    message: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
    text: str | None = None,
) -> None:
    draft, card, order = await take_order(message, text, state, t, access, orders, FLOW)
    await _show_card(message, state, t, access, draft, card, order)


async def _show_card(
    message: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    draft: StatusDraft,
    card: str,
    order: BusinessOrder,
) -> None:
    step = next_step(order)
    keyboard = card_keyboard(t, order, step, access)
    if keyboard is None:  # nothing to do with it: no step waits for a button the card does not have
        await state.clear()
        await message.answer(card + "\n\n" + t("order-no-actions", status=status_text(t, order.status)))
        return
    await save_draft(state, draft.with_step(step))
    await state.set_state(OrderSG.card)
    await message.answer(card, reply_markup=keyboard)


async def show_orders(
    message: Message, state: FSMContext, t: Texts, access: Access, orders: OrdersService
) -> None:
    """/orders: the shop's active orders, nearest delivery first (overdue ones first of all)."""
    await state.clear()
    found = await orders.pickable(access, FLOW.statuses)
    picks = [pick_of(order) for order in found]
    await state.set_state(OrderSG.order_id)
    await save_draft(state, StatusDraft(shop_id=access.shop_id).listing(picks))
    text = orders_overview(t, access.shop.title, [p.day for p in picks], moscow_today())
    await message.answer(text, reply_markup=picks_page(t, picks, 0) if picks else None)


async def on_open(
    query: CallbackQuery,
    callback_data: OpenCD,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
    flows: Flows,
) -> None:
    """The card opened from an alert or a result: read again, whatever a list kept of it."""
    orders.forget(access.shop_id, callback_data.order_id)
    await flows.enter_at_order("status", card, state, t, access, orders, callback_data.order_id)


async def on_next(
    query: CallbackQuery,
    callback_data: NextCD,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
) -> None:
    """«Дальше: <step>» under a result: the step itself (its confirmation; a delivery asks its day
    first), the order read again. When the order has moved on meanwhile, its card instead."""
    orders.forget(access.shop_id, callback_data.order_id)
    await start_at_order_step(state, FLOW, access.shop_id)
    draft, text, order = await take_order(card, str(callback_data.order_id), state, t, access, orders, FLOW)
    if next_step(order) is not callback_data.step:
        await _show_card(card, state, t, access, draft, text, order)
        return
    await state.set_state(OrderSG.card)
    await _take_step(card, state, t, draft.with_step(callback_data.step))


def card_keyboard(
    t: Texts, order: BusinessOrder, step: OrderStatus | None, access: Access
) -> InlineKeyboardMarkup | None:
    """Only what the order's status allows and the user's role permits."""
    shown: list[tuple[str, CallbackData]] = []
    if step is not None:
        shown.append((t.plain(f"button-step-{step.value}"), CardCD(action="step", order_id=order.order_id)))
    if order.can_take_track:
        shown.append((t.plain("button-card-track"), CardCD(action="track", order_id=order.order_id)))
    if order.can_move_date and access.may_move_dates:
        shown.append((t.plain("button-card-date"), CardCD(action="date", order_id=order.order_id)))
    if order.can_take_track:  # the buyer's contact is given while the order is on its way
        shown.append((t.plain("button-card-phone"), CardCD(action="phone", order_id=order.order_id)))
    if order.status not in FINISHED and (access.is_owner or access.shop.couriers_write):
        write = ChatCD(action="write", shop_id=access.shop_id, order_id=order.order_id)
        shown.append((t.plain("button-card-chat"), write))
    if access.is_owner and order.status in CANCELLABLE:
        shown.append((t.plain("button-card-cancel"), CardCD(action="cancel", order_id=order.order_id)))
    return buttons(shown) if shown else None


async def on_this_card(
    query: CallbackQuery, callback_data: CardCD, state: FSMContext
) -> dict[str, StatusDraft] | bool:
    """A button of the card on screen (the conversation's order): its draft goes to the handler as
    `draft`. A button of an older card is stale (the fallback says so)."""
    draft = await load_draft(state)
    if isinstance(draft, StatusDraft) and draft.order_id == callback_data.order_id:
        return {"draft": draft}
    return False


async def on_step(
    query: CallbackQuery, card: Message, state: FSMContext, t: Texts, draft: StatusDraft
) -> None:
    await _take_step(card, state, t, draft)


async def _take_step(message: Message, state: FSMContext, t: Texts, draft: StatusDraft) -> None:
    """The order's next status: confirmed at once, or a delivery asked the day it was made first."""
    if draft.step is not OrderStatus.DELIVERED:
        await _confirm_step(message, state, t, draft)
        return
    await save_draft(state, draft)
    await state.set_state(OrderSG.day)
    days = [(_day_label(t, n), DeliveredCD(back=n)) for n, _ in enumerate(delivered_days(moscow_today()))]
    await message.answer(t("delivered-ask-day", id=draft.order_id), reply_markup=buttons(days, per_row=2))


async def on_flow(
    query: CallbackQuery,
    callback_data: CardCD,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
    flows: Flows,
) -> None:
    """«Трек-номер», «Перенести дату»: that flow, for this order, its order step already answered."""
    await flows.enter_at_order(callback_data.action, card, state, t, access, orders, callback_data.order_id)


async def on_phone(
    query: CallbackQuery,
    callback_data: CardCD,
    card: Message,
    t: Texts,
    access: Access,
    orders: OrdersService,
) -> None:
    """Shown to the shop's team only; read from the Market each time, never logged or kept."""
    await card.answer(buyer_text(t, await orders.buyer(access, callback_data.order_id)))


async def on_cancel(
    query: CallbackQuery, card: Message, state: FSMContext, t: Texts, access: Access, draft: StatusDraft
) -> None:
    if not access.is_owner:  # a forged button: the card never offers it to a courier
        await card.answer(t("team-not-owner"))
        return
    await _confirm_step(card, state, t, draft.with_step(OrderStatus.CANCELLED))


ACTIONS: dict[str, Callable[..., Awaitable[None]]] = {
    "step": on_step,
    "track": on_flow,
    "date": on_flow,
    "phone": on_phone,
    "cancel": on_cancel,
}


def _day_label(t: Texts, back: int) -> str:
    if back < 2:
        return t.plain("button-today" if back == 0 else "button-yesterday")
    return str(human_date(t, delivered_days(moscow_today())[back]))


async def on_delivered_day(
    query: CallbackQuery, callback_data: DeliveredCD, card: Message, state: FSMContext, t: Texts
) -> None:
    today = moscow_today()
    days = delivered_days(today)
    if not 0 <= callback_data.back < len(days):
        raise Refused("stale-button")
    draft = (await current_draft(state, StatusDraft)).delivered_on(real_date(days[callback_data.back], today))
    await _confirm_step(card, state, t, draft)


async def _confirm_step(message: Message, state: FSMContext, t: Texts, draft: StatusDraft) -> None:
    if draft.step is None:  # the card offered no step
        return
    text: str = t("status-confirm", id=draft.order_id, status=status_text(t, draft.step))
    if draft.real_date is not None:
        text += "\n" + t("status-confirm-on", date=human_date(t, draft.real_date))
    await state.set_state(OrderSG.confirm)
    if not draft.cancels:
        await ask_to_confirm(message, state, t, draft, text)
        return
    text += "\n" + t("status-cancel-warning")  # destructive: the buttons say what they do, no ✅
    yes, no = t("button-cancel-order-yes"), t("button-cancel-order-no")
    await ask_to_confirm(message, state, t, draft, text, send=yes, cancel=no)


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order, and its flow to the registry."""
    prompts = {
        OrderSG.order_id: "order-ask-again",
        OrderSG.card: "order-use-card-buttons",
        OrderSG.day: "delivered-ask-day-again",
        OrderSG.confirm: "confirm-use-buttons",
    }
    step = requires("conversation", refusal="no-shop")
    add_order_flow(router, flows, FLOW, Flow("status", OrderSG, prompts), "order", on_order_id, step)
    router.message.register(show_orders, Command("orders"), flags=requires())
    for action, handler in ACTIONS.items():
        on_card = (StateFilter(OrderSG.card), CardCD.filter(F.action == action), on_this_card)
        asks_market = action in ("track", "date", "phone")  # answered first: the spinner stops
        router.callback_query.register(handler, *on_card, flags=step | PRE if asks_market else step)
    button = requires("button", refusal="no-right")
    router.callback_query.register(on_open, OpenCD.filter(), flags=button | PRE)
    router.callback_query.register(on_next, NextCD.filter(), flags=button | PRE)
    router.callback_query.register(
        on_delivered_day, StateFilter(OrderSG.day), DeliveredCD.filter(), flags=step
    )
