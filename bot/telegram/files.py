"""Files users send: a photo of a label, an image or a table sent as a file, downloaded within limits."""

from __future__ import annotations

import io

import aiohttp
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Document, Message

from bot.domain.chats import FILE_LIMIT as CHAT_FILE_LIMIT
from bot.domain.errors import FileRefused
from bot.services.barcodes import MAX_BYTES
from bot.services.chats.desk import Upload
from bot.services.tables import TableKind

TABLE_MAX_BYTES = 2 * 1024 * 1024  # 500 lines of a table are a few dozen kilobytes
TABLE_TYPES: dict[str, TableKind] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
}
# Tables in formats the bot does not read (old Excel, LibreOffice, Apple Numbers): said so, with how
# to save them, rather than "send text".
OTHER_TABLES = (".xls", ".xlsm", ".xlsb", ".ods", ".numbers")


def table_kind(document: Document | None) -> TableKind | None:
    """ "csv" or "xlsx" for a table sent as a file (by its name, else its type), None otherwise."""
    if document is None:
        return None
    name = (document.file_name or "").lower()
    for ending, kind in TABLE_TYPES.items():
        if name.endswith(ending):
            return kind
    mime = document.mime_type or ""
    if mime in ("text/csv", "text/comma-separated-values"):
        return "csv"
    if mime == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        return "xlsx"
    return None


def other_table(document: Document | None) -> bool:
    """A spreadsheet the bot cannot read (by its name)."""
    name = (document.file_name or "").lower() if document is not None else ""
    return name.endswith(OTHER_TABLES)


async def picture_of(message: Message, bot: Bot) -> bytes:
    """The largest size of the photo, or the image file. Raises `FileRefused` for a file that is no
    image or is over 20 MB (refused before anything is downloaded), or one Telegram did not hand over."""
    if message.photo:
        file_id, size = message.photo[-1].file_id, message.photo[-1].file_size
    elif message.document is not None and (message.document.mime_type or "").startswith("image/"):
        file_id, size = message.document.file_id, message.document.file_size
    else:
        raise FileRefused("scan-not-image")
    if size is not None and size > MAX_BYTES:
        raise FileRefused("scan-too-big")
    return await _download(bot, file_id)


async def table_of(document: Document, bot: Bot) -> bytes:
    """A table file's content. Raises `FileRefused` over 2 MB, or when Telegram did not hand it over."""
    if document.file_size is not None and document.file_size > TABLE_MAX_BYTES:
        raise FileRefused("bulk-file-too-big")
    return await _download(bot, document.file_id)


async def _download(bot: Bot, file_id: str) -> bytes:
    out = io.BytesIO()
    try:
        await bot.download(file_id, destination=out)
    except (TelegramAPIError, aiohttp.ClientError, TimeoutError):
        raise FileRefused("scan-download-failed") from None
    return out.getvalue()


def has_file(message: Message) -> bool:
    return bool(message.photo) or message.document is not None


async def upload_of(message: Message, bot: Bot) -> Upload:
    """The photo (its largest size) or the document, up to the chat's 5 MB. Raises `FileRefused` for a
    bigger one (before anything is downloaded when Telegram gives its size), or one not handed over."""
    if message.photo:
        photo = message.photo[-1]
        file_id, size = photo.file_id, photo.file_size
        name, content_type = f"photo-{photo.file_unique_id}.jpg", "image/jpeg"
    elif message.document is not None:
        document = message.document
        file_id, size = document.file_id, document.file_size
        name = document.file_name or f"file-{document.file_unique_id}"
        content_type = document.mime_type or "application/octet-stream"
    else:
        raise FileRefused("chat-file-what")
    if size is not None and size > CHAT_FILE_LIMIT:
        raise FileRefused("chat-file-too-big")
    data = await _download(bot, file_id)
    if len(data) > CHAT_FILE_LIMIT:
        raise FileRefused("chat-file-too-big")
    return Upload(name, data, content_type)
