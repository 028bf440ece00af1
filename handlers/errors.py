"""Last line of defence, and the one place a refusal is told.

`on_refusal`: a service (or a step, or the access check) said no with a `Refused`: its catalogue text
as the alert of a pressed button, or as a reply (with the step's question asked again when the
refusal says so; a press already answered gets the reply too). `on_error`: tell the user plainly, log
what no handler expected (never a secret). A press gets its one answer either way (bot.telegram.presses).
"""

from __future__ import annotations

import logging
from typing import cast

from aiogram import Bot, Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import ErrorEvent, Update
from aiogram.utils.callback_answer import CallbackAnswer

from bot.domain.errors import MarketFailure, Refused
from bot.telegram.flows import Flows
from bot.telegram.i18n import Catalogue, Texts
from bot.telegram.presses import answered
from bot.telegram.refusals import Told, refusal_text
from bot.telegram.safety import quietly
from bot.telegram.views import failure_text

logger = logging.getLogger(__name__)


async def on_refusal(
    event: ErrorEvent,
    bot: Bot,
    t: Texts,
    flows: Flows,
    state: FSMContext | None = None,
    callback_answer: CallbackAnswer | None = None,
) -> bool:
    refusal = cast(Refused, event.exception)  # the filter lets only these through
    query = event.update.callback_query
    if refusal.ends and state is not None:
        await state.clear()
    if isinstance(refusal, Told):
        return True
    if query is not None and not answered(callback_answer):
        text = refusal_text(t, refusal, plain=True)
        if callback_answer is None:  # refused before the answering middleware (the access check)
            await quietly(query.answer(text, show_alert=True), "answer a refused press")
        else:
            callback_answer.text, callback_answer.show_alert = text, True
        return True
    prompt = flows.prompt(await state.get_state()) if refusal.again and state is not None else None
    chat_id = _chat_of(event.update)
    if chat_id is not None:
        await quietly(bot.send_message(chat_id, refusal_text(t, refusal, prompt)), "tell a refusal")
    return True


async def on_error(
    event: ErrorEvent, bot: Bot, catalogue: Catalogue, callback_answer: CallbackAnswer | None = None
) -> bool:
    update = event.update
    exc = event.exception
    user = None
    if update.message is not None:
        user = update.message.from_user
    elif update.callback_query is not None:
        user = update.callback_query.from_user
        if callback_answer is None:  # failed before the answering middleware
            await quietly(update.callback_query.answer(), "answer a failed press")
    t = catalogue.texts(user.language_code if user else None)
    if isinstance(exc, MarketFailure):
        logger.warning("Market error in update %s: %s", update.update_id, type(exc).__name__)
        text = failure_text(t, exc.failure, read=True)
    else:
        logger.error(
            "unhandled %s in update %s (%s)",
            type(exc).__name__,
            update.update_id,
            update.event_type,
            exc_info=exc,
        )
        text = t("internal-error")
    chat_id = _chat_of(update)
    if chat_id is not None:
        await quietly(bot.send_message(chat_id, text), "tell the user about the error")
    return True


def _chat_of(update: Update) -> int | None:
    if update.message is not None:
        return update.message.chat.id
    if update.callback_query is not None:
        return update.callback_query.from_user.id  # private chats only
    return None


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order."""
    router.error.register(on_refusal, ExceptionTypeFilter(Refused))
    router.error.register(on_error)
