"""Anything no other handler took: a wrong kind of message at a step, an unknown text, a stale button."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.telegram.i18n import Texts
from handlers.delivery_date import DateSG
from handlers.order import OrderSG
from handlers.settings import SettingsSG
from handlers.track import TrackSG

STEP_PROMPTS = {
    TrackSG.order_id.state: "track-ask-order-again",
    TrackSG.service.state: "track-ask-service",
    TrackSG.track_code.state: "track-ask-code-again",
    TrackSG.confirm.state: "confirm-use-buttons",
    DateSG.order_id.state: "date-ask-order-again",
    DateSG.date.state: "date-ask-date-again",
    DateSG.reason.state: "date-ask-reason-again",
    DateSG.confirm.state: "confirm-use-buttons",
    OrderSG.order_id.state: "order-ask-again",
    OrderSG.card.state: "confirm-use-buttons",
    OrderSG.day.state: "confirm-use-buttons",
    OrderSG.confirm.state: "confirm-use-buttons",
    SettingsSG.api_key.state: "settings-ask-key-again",
    SettingsSG.campaign.state: "settings-choose-campaign",
}


async def on_anything(message: Message, state: FSMContext, t: Texts) -> None:
    current = await state.get_state()
    if message.text is None:
        problem = "expected-text"
    elif message.text.startswith("/"):
        problem = "unknown-command"
    else:
        problem = "use-buttons" if current in STEP_PROMPTS else "unknown-input"
    if current in STEP_PROMPTS:
        await message.answer(t(problem) + "\n" + t(STEP_PROMPTS[current]))
    else:
        await message.answer(t(problem) if problem != "use-buttons" else t("unknown-input"))


async def on_stale_button(query: CallbackQuery, t: Texts) -> None:
    await query.answer(t("stale-button"), show_alert=True)


def register(router: Router) -> None:
    """This module's handlers, added to the bot's one router in order."""
    router.message.register(on_anything)
    router.callback_query.register(on_stale_button)
