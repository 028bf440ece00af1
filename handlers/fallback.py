"""Anything no other handler took: a wrong kind of message at a step, an unknown text, a stale button."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain.errors import Refused
from bot.telegram.flows import Flows
from bot.telegram.i18n import Texts


async def on_anything(message: Message, state: FSMContext, t: Texts, flows: Flows) -> None:
    prompt = flows.prompt(await state.get_state())  # the step's question, asked again
    if message.text is None:
        problem = "expected-text"
    elif message.text.startswith("/"):
        problem = "unknown-command"
    else:
        problem = "use-buttons" if prompt is not None else "unknown-input"
    if prompt is not None:
        await message.answer(t(problem) + "\n" + t(prompt))
    else:
        await message.answer(t(problem) if problem != "use-buttons" else t("unknown-input"))


async def on_stale_button(query: CallbackQuery) -> None:
    raise Refused("stale-button")


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order."""
    router.message.register(on_anything)
    router.callback_query.register(on_stale_button)
