"""The confirmation card of /track, /date and /order's steps (bot.telegram.confirm, the one confirm
step): «Отправить» sends exactly once, «Отмена» drops the draft.

Pressing «Отправить» first records the operation and ends the conversation in one SQLite transaction;
only then are Telegram and the Market called.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.domain.market_data import OrderStatus
from bot.domain.outcomes import Outcome
from bot.services.access import Access
from bot.services.operations import Operations
from bot.telegram.access import requires
from bot.telegram.alert_views import OpenCD
from bot.telegram.confirm import ConfirmCD, record, send_first, show, to_send
from bot.telegram.draft import DateDraft, Draft, TrackDraft, load_draft
from bot.telegram.flows import Flows
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons
from bot.telegram.views import outcome_text


async def on_confirm(
    query: CallbackQuery,
    callback_data: ConfirmCD,
    callback_answer: CallbackAnswer,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    operations: Operations,
) -> None:
    done = await operations.confirmed_before(access.user_id, callback_data.nonce)
    if done is not None:  # a second tap, or a tap redelivered after a restart
        callback_answer.text = t("already-handled")
        await show(card, outcome_text(t, done))
        return
    draft = await load_draft(state)
    sends = await to_send(callback_data, draft, access, state, card, t, "draft-cancelled")
    if not sends or draft is None:
        return
    if draft.order_id is None:  # nothing to send: as «Отмена»
        await state.clear()
        await show(card, t("draft-cancelled"))
        return
    order_id, action = draft.order_id, draft.action()
    recorded = await record(
        state,
        card,
        t,
        lambda also: operations.record(access, order_id, action, callback_data.nonce, also=also),
    )

    async def tell(outcome: Outcome) -> bool:
        following = next_action(t, draft, access.shop_id) if outcome.ok else None
        return await show(card, outcome_text(t, outcome, draft.service_names()), following)

    await send_first(query, callback_answer, t, operations, recorded, tell)


def next_action(t: Texts, draft: Draft, shop_id: int) -> InlineKeyboardMarkup | None:
    """Under a track code's or a date's ✅: the order's card, named after its next step when known."""
    if not isinstance(draft, TrackDraft | DateDraft) or draft.order_id is None:
        return None
    label = t.plain("button-open-card")
    if draft.order_status == OrderStatus.PROCESSING.value:
        label = t.plain("button-next", step=t.plain(f"button-step-{OrderStatus.DELIVERY.value}"))
    return buttons([(label, OpenCD(order_id=draft.order_id, shop_id=shop_id))])


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order."""
    router.callback_query.register(
        on_confirm, ConfirmCD.filter(), flags=requires("button", refusal="no-right")
    )
