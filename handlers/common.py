"""/start, /help and /cancel. What /start and /help say follows the user's role: a newcomer learns how
to connect a shop or join one by invite, a courier sees only what a courier can do, an owner also the
team and the shop's settings."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.services.users import UsersService
from bot.telegram.access import user_id_of
from bot.telegram.chat_views import resumed_text
from bot.telegram.draft import close_chat_step
from bot.telegram.flows import Flows
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons


class HelpCD(CallbackData, prefix="hp"):
    """«Подробнее» under /help: the rest of the help."""


async def _role(users: UsersService, message: Message) -> str:
    return await users.role(user_id_of(message)) or "newcomer"


async def on_start(message: Message, state: FSMContext, t: Texts, users: UsersService) -> None:
    await state.clear()
    await message.answer(t(f"start-{await _role(users, message)}"), disable_web_page_preview=True)


def _more(t: Texts) -> InlineKeyboardMarkup:
    return buttons([(t.plain("button-help-more"), HelpCD())])


async def on_help(message: Message, t: Texts, users: UsersService) -> None:
    role = await _role(users, message)
    keyboard = _more(t) if role != "newcomer" else None
    await message.answer(t(f"help-{role}"), reply_markup=keyboard, disable_web_page_preview=True)


async def on_help_more(query: CallbackQuery, t: Texts) -> None:
    if isinstance(query.message, Message):
        await query.message.answer(t("help-more"), disable_web_page_preview=True)


async def on_cancel(message: Message, state: FSMContext, t: Texts, flows: Flows) -> None:
    current = await state.get_state()
    if flows.name_of(current) == "chat":  # only the answer to a buyer: back to what it opened over
        back = await close_chat_step(state)
        resumed = resumed_text(t, flows, back)
        await message.answer(t("chat-reply-stopped") + (f"\n{resumed}" if resumed else ""))
        return
    await state.clear()
    await message.answer(t("cancelled") if current is not None else t("nothing-to-cancel"))


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order."""
    router.message.register(on_start, CommandStart())
    router.message.register(on_help, Command("help"))
    router.callback_query.register(on_help_more, HelpCD.filter())
    router.message.register(on_cancel, Command("cancel"))
