"""/start, /help and /cancel."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.telegram.flows import Flows
from bot.telegram.i18n import Texts


async def on_start(message: Message, state: FSMContext, t: Texts) -> None:
    await state.clear()
    await message.answer(t("start"), disable_web_page_preview=True)


async def on_help(message: Message, t: Texts) -> None:
    await message.answer(t("help"), disable_web_page_preview=True)


async def on_cancel(message: Message, state: FSMContext, t: Texts) -> None:
    had_state = await state.get_state() is not None
    await state.clear()
    await message.answer(t("cancelled") if had_state else t("nothing-to-cancel"))


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order."""
    router.message.register(on_start, CommandStart())
    router.message.register(on_help, Command("help"))
    router.message.register(on_cancel, Command("cancel"))
