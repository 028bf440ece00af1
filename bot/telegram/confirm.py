"""The one confirm step: a card with «Отправить» (or «Отправить все») and «Отмена» under a nonce; a
press is checked against the conversation's draft (its nonce, its shop), recorded together with the
end of the conversation, and its result replaces the card.

Used by /track, /date and /order's status steps (handlers/confirm.py), bulk sends (handlers/bulk.py)
and, for the sending and its result, the answers to cancellation requests (handlers/alerts.py). Every
Telegram call after the recording is best-effort: a failed answer or edit loses nothing (the worker
finishes the operation and its result is delivered later).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.domain.errors import Refused
from bot.domain.outcomes import Outcome
from bot.domain.records import Operation
from bot.services.access import Access
from bot.services.operations import Operations
from bot.telegram.draft import OrderDraft, cleared_with, open_reply, reopen_reply, save_draft
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons
from bot.telegram.presses import answer_now
from bot.telegram.refusals import Told, refusal_text
from bot.telegram.safety import quietly

T = TypeVar("T")
Write = Callable[..., Awaitable[T]]  # records the confirmed draft; its `also` ends the conversation


class ConfirmCD(CallbackData, prefix="cf"):
    """Send or cancel the draft shown under `nonce` (random, one per confirmation card) for `shop_id`."""

    action: str  # "send" | "cancel"
    shop_id: int
    nonce: str


class Press(Protocol):
    """A press on a confirmation card (`ConfirmCD`, handlers.bulk's `BulkCD`)."""

    @property
    def action(self) -> str: ...
    @property
    def shop_id(self) -> int: ...
    @property
    def nonce(self) -> str: ...


class Pending(Protocol):
    """The draft a confirmation card shows."""

    @property
    def shop_id(self) -> int: ...
    @property
    def nonce(self) -> str | None: ...


def confirm_card(
    t: Texts,
    press: type[CallbackData],
    shop_id: int,
    send: str,
    *,
    cancel: str | None = None,
    per_row: int = 2,
    **ids: int,
) -> tuple[str, InlineKeyboardMarkup]:
    """A fresh nonce, and the card's `send` and `cancel` («Отмена» unless named) buttons (`press`
    data, with `ids` its other fields) under it. A destructive act's card names the act with ⛔ on
    `send` and not doing it on `cancel` («⛔ Да, отменить заказ» / «Не отменять»), never ✅."""
    nonce = secrets.token_hex(6)
    keyboard = buttons(
        [
            (send, press(action="send", shop_id=shop_id, nonce=nonce, **ids)),
            (cancel or t("button-cancel"), press(action="cancel", shop_id=shop_id, nonce=nonce, **ids)),
        ],
        per_row=per_row,
    )
    return nonce, keyboard


async def ask_to_confirm(
    message: Message,
    state: FSMContext,
    t: Texts,
    draft: OrderDraft,
    text: str,
    *,
    edit: bool = False,
    send: str | None = None,
    cancel: str | None = None,
) -> None:
    """The confirmation card of a conversation's finished draft (/track, /date, /order's steps);
    «✅ Отправить» / «Отмена» unless `send` and `cancel` name the act (see `confirm_card`)."""
    nonce, keyboard = confirm_card(t, ConfirmCD, draft.shop_id, send or t("button-send"), cancel=cancel)
    await save_draft(state, draft.confirming(nonce))
    if edit:
        await message.edit_text(text, reply_markup=keyboard)
    else:
        await message.answer(text, reply_markup=keyboard)


async def to_send(
    press: Press,
    draft: Pending | None,
    access: Access,
    state: FSMContext,
    card: Message,
    t: Texts,
    cancelled: str,
) -> bool:
    """Whether `press` sends the draft on screen. «Отмена» ends the conversation, and the card says
    `cancelled`. Raises `Refused("stale-button")` for a card whose draft is gone, or another shop's."""
    if draft is None or draft.nonce != press.nonce or draft.shop_id != access.shop_id:
        raise Refused("stale-button")
    if press.action == "send":
        return True
    await state.clear()
    await show(card, t(cancelled))
    return False


async def record(state: FSMContext, card: Message, t: Texts, write: Write[T]) -> T:
    """`write` records the confirmed draft and ends the conversation in one transaction (right after
    it, with an FSM storage outside the database). A refusal (a code already on its way, a rule
    changed meanwhile) ends it too, and replaces the card."""
    reply = await open_reply(state)  # an answer to a buyer begun over the card stays open
    forget = cleared_with(state)
    try:
        recorded = await write(forget)
    except Refused as refused:
        await state.clear()
        await show(card, refusal_text(t, refused))
        raise Told from refused
    finally:
        if reply is not None:
            await reopen_reply(state, reply)
    if forget is None:
        await state.clear()
        if reply is not None:
            await reopen_reply(state, reply)
    return recorded


async def send_first(
    query: CallbackQuery,
    callback_answer: CallbackAnswer,
    t: Texts,
    operations: Operations,
    recorded: Operation | Outcome,
    tell: Callable[[Outcome], Awaitable[bool]],
) -> None:
    """The recorded operation's first attempt, its result told (`tell`: True when the user saw it).
    The press is answered «Отправляю…» first: the Market may take seconds. An outcome recorded before
    (a second tap, a press at the same moment) is told as it is."""
    if isinstance(recorded, Outcome):
        await tell(recorded)
        return
    await answer_now(query, callback_answer, t("sending"))
    outcome = await operations.first_attempt(recorded)
    if await tell(outcome) and not outcome.pending:
        await operations.told(outcome.operation.id)


async def show(card: Message, text: str, keyboard: InlineKeyboardMarkup | None = None) -> bool:
    """Replace the confirmation card with `text` (a new message if it cannot be edited)."""
    if await quietly(card.edit_text(text, reply_markup=keyboard), "show a result on the card") is not None:
        return True
    return await quietly(card.answer(text, reply_markup=keyboard), "send a result") is not None
