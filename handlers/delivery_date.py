"""/date: order number → order card → new date → reason → confirmation (→ handlers.confirm)."""

from __future__ import annotations

import datetime as dt

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.domain.clock import moscow_today
from bot.domain.errors import Refused, SameDate
from bot.domain.market_data import DATE_ALLOWED_STATUSES, DeliveryDateReason
from bot.domain.operations import DeliveryDate
from bot.domain.parsing import InputError, parse_date
from bot.domain.records import Operation
from bot.services.access import Access
from bot.services.orders import OrdersService
from bot.telegram.access import requires
from bot.telegram.confirm import ask_to_confirm
from bot.telegram.draft import DateDraft, current_draft, save_draft
from bot.telegram.filters import plain_text
from bot.telegram.flows import Flow, Flows
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons
from bot.telegram.order_steps import (
    OrderFlow,
    add_order_flow,
    start_at_order_step,
    take_order,
)
from bot.telegram.views import human_date, weekday

QUICK_DAYS = 8
TEXT = plain_text
REASONS = {"buyer": DeliveryDateReason.USER_MOVED, "shop": DeliveryDateReason.PARTNER_MOVED}


class DateSG(StatesGroup):
    order_id = State()
    date = State()
    reason = State()
    confirm = State()


FLOW = OrderFlow(
    draft=DateDraft,
    order_state=DateSG.order_id,
    ask_key="date-ask-order",
    again_key="date-ask-order-again",
    refused_key="date-status-not-allowed",
    statuses=tuple(sorted(DATE_ALLOWED_STATUSES)),
    allowed=lambda order: order.can_move_date,
)


class DayCD(CallbackData, prefix="dd"):
    ordinal: int  # date.toordinal()


class ReasonCD(CallbackData, prefix="rs"):
    reason: str  # "buyer" | "shop"


async def on_order_id(
    message: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
    text: str | None = None,
) -> None:
    if await _couriers_off(message, state, t, access):  # entered from a button (digest, order card)
        return
    draft, card, _ = await take_order(message, text, state, t, access, orders, FLOW)
    await state.set_state(DateSG.date)
    keyboard = day_keyboard(t, moscow_today(), draft.current_date)
    await message.answer(card + "\n\n" + t("date-ask-date"), reply_markup=keyboard)


async def _couriers_off(message: Message, state: FSMContext, t: Texts, access: Access) -> bool:
    """The owner does not let couriers move dates: say so and end the conversation before any step.
    Checked where the flow begins, however it is entered (/date, the order card, the morning digest)."""
    if access.may_move_dates:
        return False
    await state.clear()
    await message.answer(t("date-couriers-off", shop=access.shop.title))
    return True


async def on_day_button(
    query: CallbackQuery, callback_data: DayCD, card: Message, state: FSMContext, t: Texts, access: Access
) -> None:
    day = dt.date.fromordinal(callback_data.ordinal)
    if day < moscow_today():
        raise Refused("date-past")
    await _ask_reason(card, state, t, access, day)


async def on_date_text(message: Message, state: FSMContext, t: Texts, access: Access) -> None:
    day = parse_date(message.text, moscow_today())
    await _ask_reason(message, state, t, access, day)


async def _typed_date(message: Message) -> dict[str, dt.date] | bool:
    """Text that reads as a date (a day typed again at the reason step, to change it)."""
    try:
        return {"day": parse_date(message.text, moscow_today())}
    except InputError:
        return False


async def on_date_again(message: Message, state: FSMContext, t: Texts, access: Access, day: dt.date) -> None:
    """Another day typed while the reasons are shown: that day is taken instead, its reasons asked."""
    await _ask_reason(message, state, t, access, day)


async def on_reason(
    query: CallbackQuery, callback_data: ReasonCD, card: Message, state: FSMContext, t: Texts, access: Access
) -> None:
    reason = REASONS[callback_data.reason]
    if not _may(access, reason):
        why = "date-buyer-only" if access.may_move_dates else "date-couriers-off"  # turned off meanwhile
        raise Refused(why, shop=access.shop.title)
    draft = (await current_draft(state, DateDraft)).with_reason(reason)
    if draft.to_date is None:
        raise Refused("stale-button")
    await _confirm(card, state, t, draft, edit=True)


async def _confirm(
    message: Message, state: FSMContext, t: Texts, draft: DateDraft, *, edit: bool = False
) -> None:
    if draft.to_date is None or draft.reason is None:
        raise Refused("stale-button")
    await state.set_state(DateSG.confirm)
    name = next(name for name, reason in REASONS.items() if reason is draft.reason)
    text = t("date-confirm", id=draft.order_id, date=human_date(t, draft.to_date), reason=t(f"reason-{name}"))
    await ask_to_confirm(message, state, t, draft, text, edit=edit)


def _may(access: Access, reason: DeliveryDateReason) -> bool:
    return access.is_owner or access.shop.courier_dates.allows(reason)


async def _ask_reason(message: Message, state: FSMContext, t: Texts, access: Access, day: dt.date) -> None:
    draft = await current_draft(state, DateDraft)
    if day == draft.current_date:  # the Market would refuse it (SAME_DELIVERY_DATES): not asked
        raise SameDate(f"{day:%d.%m.%Y}")
    draft = draft.with_date(day)
    if draft.reason is not None and _may(access, draft.reason):  # kept from a refused move
        await _confirm(message, state, t, draft)
        return
    await save_draft(state, draft)
    await state.set_state(DateSG.reason)
    allowed = [
        (t(f"reason-{name}"), ReasonCD(reason=name))
        for name, reason in REASONS.items()
        if _may(access, reason)
    ]
    keyboard = buttons(allowed)
    await message.answer(t("date-ask-reason", date=human_date(t, day)), reply_markup=keyboard)


async def reopen(
    message: Message, state: FSMContext, t: Texts, access: Access, orders: OrdersService, operation: Operation
) -> None:
    """«📅 Другая дата» under a refused move: the date step again for the same order (read again); the
    reason given is kept, asked again only if it is no longer allowed."""
    if not isinstance(operation.action, DeliveryDate):
        raise Refused("stale-button")
    await start_at_order_step(state, FLOW, access.shop_id)
    await on_order_id(message, state, t, access, orders, text=str(operation.order_id))
    if await state.get_state() == DateSG.date.state:
        draft = await current_draft(state, DateDraft)
        await save_draft(state, draft.with_reason(operation.action.reason))


def quick_days(today: dt.date, current: dt.date | None) -> list[dt.date]:
    """The days offered as buttons: from today (a delivery may be moved to today), without the
    order's current day (moving it there is no move)."""
    days = (today + dt.timedelta(days=n) for n in range(QUICK_DAYS + 1))
    return [d for d in days if d != current][:QUICK_DAYS]


def day_keyboard(t: Texts, today: dt.date, current: dt.date | None = None) -> InlineKeyboardMarkup:
    days = quick_days(today, current)
    return buttons([(f"{weekday(t, d)} {d:%d.%m}", DayCD(ordinal=d.toordinal())) for d in days], per_row=4)


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order, and its flow to the registry."""
    prompts = {
        DateSG.order_id: "date-ask-order-again",
        DateSG.date: "date-ask-date-again",
        DateSG.reason: "date-ask-reason-again",
        DateSG.confirm: "confirm-use-buttons",
    }
    step = requires("conversation")
    entry = Flow("date", DateSG, prompts, reopen=reopen)
    add_order_flow(router, flows, FLOW, entry, "date", on_order_id, step)
    router.callback_query.register(on_day_button, StateFilter(DateSG.date), DayCD.filter(), flags=step)
    router.message.register(on_date_text, StateFilter(DateSG.date), TEXT, flags=step)
    router.message.register(on_date_again, StateFilter(DateSG.reason), TEXT, _typed_date, flags=step)
    router.callback_query.register(
        on_reason, StateFilter(DateSG.reason), ReasonCD.filter(F.reason.in_(REASONS)), flags=step
    )
