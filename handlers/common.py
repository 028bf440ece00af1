"""/start and /help: what the bot does and how to begin."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from bot.texts import t

router = Router(name="common")


@router.message(CommandStart())
@router.message(Command("help"))
async def on_start(message: Message) -> None:
    lang = message.from_user.language_code if message.from_user else None
    await message.answer(t("start", lang))
