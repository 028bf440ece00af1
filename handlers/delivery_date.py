"""/date: order ID → order card → new date → reason → confirmation (→ handlers.confirm)."""

from __future__ import annotations

import datetime as dt

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.i18n import Texts
from bot.keyboards import buttons
from bot.market import MarketClient
from bot.market.models import DeliveryDateReason
from bot.parsing import InputError, moscow_today, parse_date
from bot.views import human_date, weekday
from handlers.shared import OrderFlow, begin_flow, confirm_keyboard, new_nonce, take_order
from storage.repositories import SettingsRepo, ShopsRepo

QUICK_DAYS = 8
TEXT = F.text & ~F.text.startswith("/")
REASONS = {"buyer": DeliveryDateReason.USER_MOVED, "shop": DeliveryDateReason.PARTNER_MOVED}


class DateSG(StatesGroup):
    order_id = State()
    date = State()
    reason = State()
    confirm = State()


FLOW = OrderFlow(
    name="date",
    order_state=DateSG.order_id,
    ask_key="date-ask-order",
    again_key="date-ask-order-again",
    refused_key="date-status-not-allowed",
    allowed=lambda order: order.can_move_date,
)


class DayCD(CallbackData, prefix="dd"):
    ordinal: int  # date.toordinal()


class ReasonCD(CallbackData, prefix="rs"):
    reason: str  # "buyer" | "shop"


async def start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    t: Texts,
    settings: SettingsRepo,
    shops: ShopsRepo,
    market: MarketClient,
) -> None:
    typed = await begin_flow(message, command.args, state, t, settings, shops, FLOW)
    if typed is not None:
        await on_order_id(message, state, t, settings, shops, market, text=typed)


async def on_order_id(
    message: Message,
    state: FSMContext,
    t: Texts,
    settings: SettingsRepo,
    shops: ShopsRepo,
    market: MarketClient,
    text: str | None = None,
) -> None:
    typed = text if text is not None else message.text
    taken = await take_order(message, typed, state, t, settings, shops, market, FLOW)
    if taken is None:
        return
    _, card = taken
    await state.set_state(DateSG.date)
    await message.answer(card + "\n\n" + t("date-ask-date"), reply_markup=day_keyboard(t, moscow_today()))


async def on_day_button(query: CallbackQuery, callback_data: DayCD, state: FSMContext, t: Texts) -> None:
    day = dt.date.fromordinal(callback_data.ordinal)
    if day < moscow_today() or not isinstance(query.message, Message):
        await query.answer(t("date-past"), show_alert=True)
        return
    await query.answer()
    await _ask_reason(query.message, state, t, day)


async def on_date_text(message: Message, state: FSMContext, t: Texts) -> None:
    try:
        day = parse_date(message.text, moscow_today())
    except InputError as exc:
        await message.answer(t(exc.key) + "\n" + t("date-ask-date-again"))
        return
    await _ask_reason(message, state, t, day)


async def on_reason(query: CallbackQuery, callback_data: ReasonCD, state: FSMContext, t: Texts) -> None:
    if not isinstance(query.message, Message):
        await query.answer(t("stale-button"), show_alert=True)
        return
    data = await state.get_data()
    nonce = new_nonce()
    reason = REASONS[callback_data.reason]
    await state.update_data(reason=reason.value, nonce=nonce)
    await state.set_state(DateSG.confirm)
    await query.answer()
    day = dt.date.fromisoformat(data["to_date"])
    text = t(
        "date-confirm",
        id=data["order_id"],
        date=human_date(t, day),
        reason=t(f"reason-{callback_data.reason}"),
    )
    await query.message.edit_text(text, reply_markup=confirm_keyboard(t, nonce))


async def _ask_reason(message: Message, state: FSMContext, t: Texts, day: dt.date) -> None:
    await state.update_data(to_date=day.isoformat())
    await state.set_state(DateSG.reason)
    keyboard = buttons(
        [(t("reason-buyer"), ReasonCD(reason="buyer")), (t("reason-shop"), ReasonCD(reason="shop"))]
    )
    await message.answer(t("date-ask-reason", date=human_date(t, day)), reply_markup=keyboard)


def day_keyboard(t: Texts, today: dt.date) -> InlineKeyboardMarkup:
    days = [today + dt.timedelta(days=n) for n in range(1, QUICK_DAYS + 1)]
    return buttons([(f"{weekday(t, d)} {d:%d.%m}", DayCD(ordinal=d.toordinal())) for d in days], per_row=4)


def create_router() -> Router:
    router = Router(name="delivery_date")
    router.message.register(start, Command("date"))
    router.message.register(on_order_id, DateSG.order_id, TEXT)
    router.callback_query.register(on_day_button, DateSG.date, DayCD.filter())
    router.message.register(on_date_text, DateSG.date, TEXT)
    router.callback_query.register(on_reason, DateSG.reason, ReasonCD.filter(F.reason.in_(REASONS)))
    return router
