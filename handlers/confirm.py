"""The confirmation card of /track and /date: «Отправить» sends exactly once, «Отмена» drops the draft."""

from __future__ import annotations

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.services.access import Access
from bot.services.operations import Operations
from bot.telegram.access import requires
from bot.telegram.draft import load_draft
from bot.telegram.i18n import Texts
from bot.telegram.views import outcome_text
from handlers.order_steps import ConfirmCD


async def on_confirm(
    query: CallbackQuery,
    callback_data: ConfirmCD,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    operations: Operations,
) -> None:
    done = await operations.confirmed_before(access.user_id, callback_data.nonce)
    if done is not None:  # a second tap, or a tap redelivered after a restart
        await query.answer(t("already-handled"), show_alert=False)
        await _show(card, outcome_text(t, done))
        return
    draft = await load_draft(state)
    if draft is None or draft.nonce != callback_data.nonce or draft.shop_id != access.shop_id:
        await query.answer(t("stale-button"), show_alert=True)
        return
    await state.clear()
    if callback_data.action != "send" or draft.order_id is None:
        await query.answer()
        await _show(card, t("draft-cancelled"))
        return
    await query.answer(t("sending"))
    outcome = await operations.confirm(access, draft.order_id, draft.action(), callback_data.nonce)
    await _show(card, outcome_text(t, outcome, draft.service_names()))


async def _show(card: Message, text: str) -> None:
    """Replace the confirmation card with the result (a new message if it cannot be edited)."""
    try:
        await card.edit_text(text, reply_markup=None)
    except TelegramBadRequest:
        await card.answer(text)


def create_router() -> Router:
    router = Router(name="confirm")
    router.callback_query.register(
        on_confirm, ConfirmCD.filter(), flags=requires("button", refusal="no-right")
    )
    return router
