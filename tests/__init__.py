"""The project's tests. aiogram is imported the way `python -m bot` imports it (bot.lazy_aiogram)."""

from bot.lazy_aiogram import import_aiogram

import_aiogram()
