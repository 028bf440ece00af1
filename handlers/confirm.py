"""The confirmation card of /track and /date: «Отправить» sends exactly once, «Отмена» drops the draft.

Pressing «Отправить» first records the operation and ends the conversation in one SQLite transaction;
only then are Telegram and the Market called, and every Telegram call is best-effort: a failed answer
or edit loses nothing (the worker finishes the operation and the result is delivered later).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.domain.errors import NotAllowedForCouriers, Refused
from bot.domain.outcomes import Outcome
from bot.services.access import Access
from bot.services.operations import Operations
from bot.telegram.access import requires
from bot.telegram.draft import DateDraft, cleared_with, load_draft
from bot.telegram.flows import Flows
from bot.telegram.i18n import Texts
from bot.telegram.order_steps import ConfirmCD, next_action
from bot.telegram.safety import quietly
from bot.telegram.views import outcome_text


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
    # A second tap, or a tap redelivered after a restart: the card already shows the result (or the
    # result is owed and told later), so it is left as it is.
    if done is not None:
        await quietly(query.answer(t("already-handled")), "answer a repeated press")
        return
    draft = await load_draft(state)
    if draft is None or draft.nonce != callback_data.nonce or draft.shop_id != access.shop_id:
        await quietly(query.answer(t("stale-button"), show_alert=True), "answer a stale press")
        return
    if callback_data.action != "send" or draft.order_id is None:
        await state.clear()
        await quietly(query.answer(), "answer a cancel press")
        await _show(card, t("draft-cancelled"))
        return
    forget_draft = cleared_with(state)
    try:
        recorded = await operations.record(
            access, draft.order_id, draft.action(), callback_data.nonce, also=forget_draft
        )
    except NotAllowedForCouriers:  # the owner changed the rule, or the owner's role, meanwhile
        await state.clear()
        await quietly(query.answer(), "answer a refused press")
        await _show(card, t("date-buyer-only" if isinstance(draft, DateDraft) else "team-not-owner"))
        return
    except Refused as refused:  # e.g. a code already on its way for this order
        await state.clear()
        await quietly(query.answer(), "answer a refused press")
        await _show(card, t(refused.key, **refused.args_))
        return
    if forget_draft is None:  # an FSM storage outside the database: cleared right after
        await state.clear()
    if isinstance(recorded, Outcome):  # recorded by a press running at the same moment, which shows it
        await quietly(query.answer(t("already-handled")), "answer a repeated press")
        return
    await quietly(query.answer(t("sending")), "answer the press")
    outcome = await operations.first_attempt(recorded)
    following = next_action(t, draft, access.shop_id) if outcome.ok else None
    if await _show(card, outcome_text(t, outcome, draft.service_names()), following) and not outcome.pending:
        await operations.told(outcome.operation.id)


async def _show(card: Message, text: str, keyboard: InlineKeyboardMarkup | None = None) -> bool:
    """Replace the confirmation card with the result (a new message if it cannot be edited)."""
    if await quietly(card.edit_text(text, reply_markup=keyboard), "show a result on the card") is not None:
        return True
    return await quietly(card.answer(text, reply_markup=keyboard), "send a result") is not None


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order."""
    router.callback_query.register(
        on_confirm, ConfirmCD.filter(), flags=requires("button", refusal="no-right")
    )
