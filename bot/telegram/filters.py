"""Message filters as coroutines.

aiogram runs a filter that is not a coroutine (a magic `F.…` filter, a plain function) in a worker
thread: one thread hop per filter per router an update passes, which was most of an ordinary
update's CPU. These are the same checks, awaited on the event loop.
"""

from __future__ import annotations

from aiogram.enums import ChatType
from aiogram.types import Message

from bot.telegram.files import other_table, table_kind


async def private_chat(message: Message) -> bool:
    return message.chat.type == ChatType.PRIVATE


async def has_text(message: Message) -> bool:
    return bool(message.text)


async def plain_text(message: Message) -> bool:
    """Text that is not a command."""
    return bool(message.text) and not (message.text or "").startswith("/")


async def not_a_command(message: Message) -> bool:
    """Anything but a command: a text, a photo, a file..."""
    return not (message.text or "").startswith("/")


async def picture(message: Message) -> bool:
    """A photo, or a file (an image sent as a document)."""
    return message.photo is not None or message.document is not None


async def table_file(message: Message) -> bool:
    """A CSV or XLSX file."""
    return message.document is not None and table_kind(message.document) is not None


async def unreadable_table(message: Message) -> bool:
    """A spreadsheet in a format the bot does not read (.xls, .ods, .numbers)."""
    return other_table(message.document)
