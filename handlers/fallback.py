"""Anything no other handler took: a wrong kind of message at a step, an unknown text, a stale button."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain.errors import Refused
from bot.telegram.flows import Flows
from bot.telegram.i18n import Texts


def _not_text(message: Message) -> str:
    """What to say to a message without text, in words that fit what it is."""
    if message.voice is not None or message.audio is not None:
        return "expected-text-voice"
    if message.video_note is not None or message.video is not None:
        return "expected-text-video"
    if message.sticker is not None:
        return "expected-text-sticker"
    return "expected-text"


async def on_anything(message: Message, state: FSMContext, t: Texts, flows: Flows) -> None:
    prompt = flows.prompt(await state.get_state())  # the step's question, asked again
    if message.text is None:
        problem = _not_text(message)
    elif message.text.startswith("/"):
        problem = "unknown-command"
    else:
        problem = "use-buttons" if prompt is not None else "unknown-input"
    if prompt is not None:
        await message.answer(t(problem) + "\n" + t(prompt))
    elif problem.startswith("expected-text-"):  # no step asked: what the bot takes without a command
        await message.answer(t(problem) + "\n" + t("input-hint"))
    else:
        await message.answer(t(problem) if problem != "use-buttons" else t("unknown-input"))


async def on_stale_button(query: CallbackQuery) -> None:
    raise Refused("stale-button")


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order."""
    router.message.register(on_anything)
    router.callback_query.register(on_stale_button)
