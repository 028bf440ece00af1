"""Inline keyboards. Callback data classes live with their handlers; these only lay buttons out."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder


def paged(
    items: Sequence[tuple[str, CallbackData]],
    page: int,
    per_page: int,
    page_button: Callable[[int], CallbackData],
    labels: tuple[str, str],
    *,
    per_row: int = 1,
) -> InlineKeyboardMarkup:
    """One page of buttons with «◀ Назад» / «Ещё ▶» under it; `labels` are those two texts."""
    pages = max(1, -(-len(items) // per_page))
    page = min(max(page, 0), pages - 1)
    footer = []
    if page > 0:
        footer.append((labels[0], page_button(page - 1)))
    if page + 1 < pages:
        footer.append((labels[1], page_button(page + 1)))
    return buttons(items[page * per_page : (page + 1) * per_page], per_row=per_row, footer=footer)


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
