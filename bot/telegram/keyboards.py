"""Inline keyboards. Callback data classes live with their handlers; these only lay buttons out."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder


def buttons(
    items: Sequence[tuple[str, CallbackData]],
    *,
    per_row: int = 1,
    footer: Sequence[tuple[str, CallbackData]] = (),
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for text, data in items:
        builder.button(text=text, callback_data=data)
    builder.adjust(per_row)
    if footer:
        row = InlineKeyboardBuilder()
        for text, data in footer:
            row.button(text=text, callback_data=data)
        builder.attach(row)
    return builder.as_markup()
