"""The confirmation card of /track, /date and /order's steps (bot.telegram.confirm, the one confirm
step): «Отправить» sends exactly once, «Отмена» drops the draft.

Pressing «Отправить» first records the operation and ends the conversation in one SQLite transaction;
only then are Telegram and the Market called. Under a write the Market refused for a reason the user
can fix, one button reopens the step that fixes it, the rest kept (`on_fix`).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.domain.errors import Refused
from bot.domain.outcomes import Outcome
from bot.services.access import Access
from bot.services.operations import Operations
from bot.services.orders import OrdersService
from bot.telegram.access import requires
from bot.telegram.confirm import ConfirmCD, record, send_first, show, to_send
from bot.telegram.draft import load_draft
from bot.telegram.flows import Flows
from bot.telegram.i18n import Texts
from bot.telegram.order_steps import FIXED_IN, FixCD, fix_action, next_action
from bot.telegram.presses import PRE
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
    # A second tap, or a tap redelivered after a restart: the card already shows the result (or the
    # result is owed and told later), so it is left as it is.
    if done is not None:
        callback_answer.text = t("already-handled")
        return
    draft = await load_draft(state)
    kept = "order-cancel-kept" if draft is not None and draft.cancels else "draft-cancelled"
    sends = await to_send(callback_data, draft, access, state, card, t, kept)
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
    if isinstance(recorded, Outcome):  # recorded by a press at the same moment, which shows it
        callback_answer.text = t("already-handled")
        return

    async def tell(outcome: Outcome) -> bool:
        if outcome.ok:
            following = next_action(t, draft, access.shop_id)
        else:
            following = fix_action(t, outcome, access.shop_id)
        return await show(card, outcome_text(t, outcome, draft.service_names()), following)

    await send_first(query, callback_answer, t, operations, recorded, tell)


async def on_fix(
    query: CallbackQuery,
    callback_data: FixCD,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    operations: Operations,
    orders: OrdersService,
    flows: Flows,
) -> None:
    """«✏️ Другой трек-номер», «📅 Другая дата» under a refused write: its flow again at the step
    that fixes it, rebuilt from the operation (the conversation ended when it was recorded)."""
    operation = await operations.own(access, callback_data.op_id)
    flow = FIXED_IN.get(operation.action.kind)
    if flow is None:
        raise Refused("stale-button")
    await flows.reopen(flow, card, state, t, access, orders, operation)


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order."""
    button = requires("button", refusal="no-right")
    router.callback_query.register(on_confirm, ConfirmCD.filter(), flags=button)
    # Answered first: the order is read again before its step is asked.
    router.callback_query.register(on_fix, FixCD.filter(), flags=button | PRE)
