"""/order: the order card, with the actions its status allows under it.

«🚚 Передан в доставку» (PROCESSING → DELIVERY), «🏪 В пункте выдачи» (DELIVERY → PICKUP, pickup
orders only) and «✅ Доставлен» (→ DELIVERED: today or a day before, never a future one) go through
the same confirmation card and outbox as a track code (→ handlers.confirm). «Трек-номер» and
«Перенести дату» start those conversations for this order, its step already answered. «Телефон
покупателя» shows the buyer's name and substitute number (read each time, never logged or kept);
«Отменить заказ» (owner only) cancels it as the shop's failure, after a confirmation.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.domain.clock import moscow_today
from bot.domain.errors import OrderUnavailable
from bot.domain.market_data import BusinessOrder, OrderStatus
from bot.domain.status_steps import delivered_days, next_step, real_date
from bot.services.access import Access
from bot.services.orders import OrdersService
from bot.telegram.access import requires
from bot.telegram.alert_views import OpenCD
from bot.telegram.draft import Draft, save_draft
from bot.telegram.filters import plain_text
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons
from bot.telegram.views import buyer_text, failure_text, human_date, orders_overview, status_text
from handlers import delivery_date, track
from handlers.order_steps import (
    OrderFlow,
    add_order_picker,
    ask_to_confirm,
    begin,
    current_draft,
    pick_of,
    picks_page,
    start_at_order_step,
    take_order,
)

TEXT = plain_text
CANCELLABLE = (OrderStatus.PROCESSING, OrderStatus.DELIVERY)  # the shop cancels with SHOP_FAILED


class OrderSG(StatesGroup):
    order_id = State()
    card = State()
    day = State()
    confirm = State()


FLOW = OrderFlow(
    name="status",
    order_state=OrderSG.order_id,
    ask_key="order-ask",
    again_key="order-ask-again",
    refused_key="order-no-actions",
    statuses=(OrderStatus.PROCESSING, OrderStatus.DELIVERY, OrderStatus.PICKUP),
    allowed=lambda order: True,  # any order's card can be shown; its actions depend on its status
    services_on_card=True,
)


class CardCD(CallbackData, prefix="oc"):
    """An action under the card of `order_id`: "step" (its next status), "track" or "date"."""

    action: str
    order_id: int


class DeliveredCD(CallbackData, prefix="dv"):
    back: int  # days before today (0: today)


async def start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
) -> None:
    typed = await begin(message, command.args, state, t, access, orders, FLOW)
    if typed is not None:
        await on_order_id(message, state, t, access, orders, text=typed)


async def on_order_id(
    message: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
    text: str | None = None,
) -> None:
    taken = await take_order(message, text, state, t, access, orders, FLOW)
    if taken is None:
        return
    draft, card, order = taken
    step = next_step(order)
    await save_draft(state, draft.model_copy(update={"step": step}))
    await state.set_state(OrderSG.card)
    keyboard = card_keyboard(t, order, step, access)
    if keyboard is None:
        await message.answer(card + "\n\n" + t("order-no-actions", status=status_text(t, order.status)))
        return
    await message.answer(card, reply_markup=keyboard)


async def show_orders(
    message: Message, state: FSMContext, t: Texts, access: Access, orders: OrdersService
) -> None:
    """/orders: the shop's active orders, nearest delivery first (overdue ones first of all)."""
    await state.clear()
    try:
        found = await orders.pickable(access, FLOW.statuses)
    except OrderUnavailable as exc:
        await message.answer(failure_text(t, exc.failure))
        return
    picks = [pick_of(order) for order in found]
    await state.set_state(OrderSG.order_id)
    await save_draft(state, Draft(flow="status", shop_id=access.shop_id, picks=picks))
    text = orders_overview(t, access.shop.title, [p.day for p in picks], moscow_today())
    await message.answer(text, reply_markup=picks_page(t, picks, 0) if picks else None)


def next_action(t: Texts, draft: Draft, shop_id: int) -> InlineKeyboardMarkup | None:
    """Under a track code's or a date's ✅: the order's card, named after its next step when known."""
    if draft.flow == "status" or draft.order_id is None:
        return None
    label = t.plain("button-open-card")
    if draft.order_status == OrderStatus.PROCESSING.value:
        label = t.plain("button-next", step=t.plain(f"button-step-{OrderStatus.DELIVERY.value}"))
    return buttons([(label, OpenCD(order_id=draft.order_id, shop_id=shop_id))])


async def on_open(
    query: CallbackQuery,
    callback_data: OpenCD,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
) -> None:
    await query.answer()
    await start_at_order_step(state, FLOW, access.shop_id)
    await on_order_id(card, state, t, access, orders, text=str(callback_data.order_id))


def card_keyboard(
    t: Texts, order: BusinessOrder, step: OrderStatus | None, access: Access
) -> InlineKeyboardMarkup | None:
    """Only what the order's status allows and the user's role permits."""
    shown = []
    if step is not None:
        shown.append((t.plain(f"button-step-{step.value}"), CardCD(action="step", order_id=order.order_id)))
    if order.can_take_track:
        shown.append((t.plain("button-card-track"), CardCD(action="track", order_id=order.order_id)))
    if order.can_move_date and access.may_move_dates:
        shown.append((t.plain("button-card-date"), CardCD(action="date", order_id=order.order_id)))
    if order.can_take_track:  # the buyer's contact is given while the order is on its way
        shown.append((t.plain("button-card-phone"), CardCD(action="phone", order_id=order.order_id)))
    if access.is_owner and order.status in CANCELLABLE:
        shown.append((t.plain("button-card-cancel"), CardCD(action="cancel", order_id=order.order_id)))
    return buttons(shown) if shown else None


async def on_card_button(
    query: CallbackQuery,
    callback_data: CardCD,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
) -> None:
    draft = await current_draft(state)
    if draft.order_id != callback_data.order_id:
        await query.answer(t("stale-button"), show_alert=True)
        return
    await query.answer()
    if callback_data.action == "track":
        await start_at_order_step(state, track.FLOW, draft.shop_id)
        await track.on_order_id(card, state, t, access, orders, text=str(draft.order_id))
    elif callback_data.action == "date":
        await start_at_order_step(state, delivery_date.FLOW, draft.shop_id)
        await delivery_date.on_order_id(card, state, t, access, orders, text=str(draft.order_id))
    elif callback_data.action == "phone":
        # Shown to the shop's team only; read from the Market each time, never logged or kept.
        await card.answer(buyer_text(t, await orders.buyer(access, callback_data.order_id)))
    elif callback_data.action == "cancel":
        if not access.is_owner:  # a forged button: the card never offers it to a courier
            await card.answer(t("team-not-owner"))
            return
        draft = draft.model_copy(update={"step": OrderStatus.CANCELLED})
        await _confirm_step(card, state, t, draft)
    elif draft.step is OrderStatus.DELIVERED:
        await state.set_state(OrderSG.day)
        days = [(_day_label(t, n), DeliveredCD(back=n)) for n, _ in enumerate(delivered_days(moscow_today()))]
        await card.answer(t("delivered-ask-day", id=draft.order_id), reply_markup=buttons(days, per_row=2))
    elif draft.step is not None:
        await _confirm_step(card, state, t, draft)


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
        await query.answer(t("stale-button"), show_alert=True)
        return
    await query.answer()
    draft = (await current_draft(state)).model_copy(
        update={"real_date": real_date(days[callback_data.back], today)}
    )
    await _confirm_step(card, state, t, draft)


async def _confirm_step(message: Message, state: FSMContext, t: Texts, draft: Draft) -> None:
    if draft.step is None:  # the card offered no step
        return
    text: str = t("status-confirm", id=draft.order_id, status=status_text(t, draft.step))
    if draft.step is OrderStatus.CANCELLED:
        text += "\n" + t("status-cancel-warning")
    if draft.real_date is not None:
        text += "\n" + t("status-confirm-on", date=human_date(t, draft.real_date))
    await state.set_state(OrderSG.confirm)
    await ask_to_confirm(message, state, t, draft, text)


def register(router: Router) -> None:
    """This module's handlers, added to the bot's one router in order."""
    step = requires("conversation", refusal="no-shop")
    router.message.register(start, Command("order"), flags=requires())
    router.message.register(show_orders, Command("orders"), flags=requires())
    router.message.register(on_order_id, StateFilter(OrderSG.order_id), TEXT, flags=step)
    add_order_picker(router, FLOW, on_order_id, step)
    router.callback_query.register(on_card_button, StateFilter(OrderSG.card), CardCD.filter(), flags=step)
    router.callback_query.register(on_open, OpenCD.filter(), flags=requires("button", refusal="no-right"))
    router.callback_query.register(
        on_delivered_day, StateFilter(OrderSG.day), DeliveredCD.filter(), flags=step
    )
