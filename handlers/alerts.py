"""Alerts: the answers under a cancellation request, «Перенести дату» under the morning digest, and
/alerts, where each user switches them on or off.

An answer is one press (the three buttons say what each does; «⛔ Отменить заказ» asks «Отменить заказ
№… по просьбе покупателя?» first, with «⛔ Да, отменить» / «Не отменять») and an ordinary operation: recorded
before it is sent, once per request (whoever presses first), retried like any other; every alert
message about that request then says who answered. The alerts themselves come from
bot.services.alerts (the poller and its outbox).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.domain.alerts import Answer, Switch
from bot.domain.errors import AnswerTaken
from bot.domain.outcomes import Outcome
from bot.services.access import Access
from bot.services.alerts.answers import CancellationAnswers
from bot.services.alerts.switches import AlertSwitches
from bot.services.operations import Operations
from bot.services.orders import OrdersService
from bot.telegram.access import requires
from bot.telegram.alert_views import AcceptCD, AnswerCD, MoveCD, answer_name
from bot.telegram.confirm import confirm_card, send_first, show
from bot.telegram.flows import Flows
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons
from bot.telegram.presses import PRE
from bot.telegram.safety import quietly
from bot.telegram.views import outcome_text


class SwitchCD(CallbackData, prefix="as"):
    switch: Switch


async def on_answer(
    query: CallbackQuery,
    callback_data: AnswerCD,
    callback_answer: CallbackAnswer,
    card: Message,
    t: Texts,
    access: Access,
    alert_answers: CancellationAnswers,
    operations: Operations,
) -> None:
    """«Уже доставлен», «Ещё в пути»: sent at once. «⛔ Отменить заказ» asks first (`on_accept`)."""
    try:
        if callback_data.answer is Answer.ACCEPT:
            order_id = await alert_answers.order_to_cancel(access, callback_data.alert_id)
            await _ask_to_accept(card, t, access, callback_data.alert_id, order_id)
            return
        claimed = await alert_answers.claim(access, callback_data.alert_id, callback_data.answer, query.id)
    except AnswerTaken as taken:
        _tell_taken(callback_answer, t, taken)
        return
    if isinstance(claimed, Outcome):  # a second tap, or a tap redelivered after a restart
        callback_answer.text = t("already-handled")

    async def tell(outcome: Outcome) -> bool:  # under the request, which stays as it is
        return await quietly(card.answer(outcome_text(t, outcome)), "send a result") is not None

    await send_first(query, callback_answer, t, operations, claimed, tell)


async def _ask_to_accept(card: Message, t: Texts, access: Access, alert_id: int, order_id: int) -> None:
    """«Отменить заказ №… по просьбе покупателя?» in a message of its own: the request's message
    (everyone's copy) keeps its buttons until the answer is taken."""
    yes, no = t("button-alert-accept-yes"), t("button-alert-accept-no")
    _, keyboard = confirm_card(t, AcceptCD, access.shop_id, yes, cancel=no, alert_id=alert_id)
    await card.answer(t("alert-accept-ask", id=order_id), reply_markup=keyboard)


async def on_accept(
    query: CallbackQuery,
    callback_data: AcceptCD,
    callback_answer: CallbackAnswer,
    card: Message,
    t: Texts,
    access: Access,
    alert_answers: CancellationAnswers,
    operations: Operations,
) -> None:
    """«⛔ Да, отменить»: the acceptance, sent once per question (its nonce); «Не отменять»: nothing."""
    if callback_data.action != "send":
        await show(card, t("alert-accept-kept"))
        return
    try:
        claimed = await alert_answers.claim(
            access, callback_data.alert_id, Answer.ACCEPT, callback_data.nonce
        )
    except AnswerTaken as taken:
        _tell_taken(callback_answer, t, taken)
        return
    if isinstance(claimed, Outcome):  # a second tap: the question already shows the result
        callback_answer.text = t("already-handled")
        return

    async def tell(outcome: Outcome) -> bool:  # the question becomes the result
        return await show(card, outcome_text(t, outcome))

    await send_first(query, callback_answer, t, operations, claimed, tell)


def _tell_taken(callback_answer: CallbackAnswer, t: Texts, taken: AnswerTaken) -> None:
    """The press's alert names the answer given, in the user's words."""
    text = (
        t.plain("alert-taken", name=taken.who, answer=answer_name(t, taken.answer))
        if taken.who
        else t.plain("alert-taken-elsewhere")
    )
    callback_answer.text, callback_answer.show_alert = text, True


async def on_move(
    query: CallbackQuery,
    callback_data: MoveCD,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
    flows: Flows,
) -> None:
    orders.forget(access.shop_id, callback_data.order_id)  # the digest's order, read again
    await flows.enter_at_order("date", card, state, t, access, orders, callback_data.order_id)


def switches_view(t: Texts, switches: dict[Switch, bool]) -> tuple[str, InlineKeyboardMarkup]:
    def state(on: bool) -> str:
        return t.plain("alerts-on" if on else "alerts-off")

    lines = [t("alerts-head")] + [t(f"alerts-{s.value}", state=state(on)) for s, on in switches.items()]
    keyboard = buttons(
        [
            (t.plain(f"button-alerts-{s.value}", state=state(on)), SwitchCD(switch=s))
            for s, on in switches.items()
        ]
    )
    return "\n\n".join(lines), keyboard


async def show_switches(message: Message, t: Texts, access: Access, alert_switches: AlertSwitches) -> None:
    text, keyboard = switches_view(t, await alert_switches.switches(access.user_id, access.role))
    await message.answer(text, reply_markup=keyboard)


async def on_switch(
    query: CallbackQuery,
    callback_data: SwitchCD,
    card: Message,
    t: Texts,
    access: Access,
    alert_switches: AlertSwitches,
) -> None:
    switches = await alert_switches.toggle(access.user_id, access.role, callback_data.switch)
    text, keyboard = switches_view(t, switches)
    await quietly(card.edit_text(text, reply_markup=keyboard), "show the switches")


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order."""
    button = requires("button", refusal="no-right")
    router.callback_query.register(on_answer, AnswerCD.filter(), flags=button)
    router.callback_query.register(on_accept, AcceptCD.filter(), flags=button)
    router.callback_query.register(on_move, MoveCD.filter(), flags=button | PRE)
    router.message.register(show_switches, Command("alerts"), flags=requires())
    router.callback_query.register(on_switch, SwitchCD.filter(), flags=requires())
