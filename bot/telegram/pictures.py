"""The picture in a message (a photo, or an image sent as a file), downloaded within Telegram's limit."""

from __future__ import annotations

import io

from aiogram import Bot
from aiogram.types import Message

from bot.domain.errors import ImageRefused
from bot.services.barcodes import MAX_BYTES


async def picture_of(message: Message, bot: Bot) -> bytes:
    """The largest size of the photo, or the image file. Raises `ImageRefused` for a file that is no
    image or is over 20 MB (refused before anything is downloaded)."""
    if message.photo:
        file_id, size = message.photo[-1].file_id, message.photo[-1].file_size
    elif message.document is not None and (message.document.mime_type or "").startswith("image/"):
        file_id, size = message.document.file_id, message.document.file_size
    else:
        raise ImageRefused("scan-not-image")
    if size is not None and size > MAX_BYTES:
        raise ImageRefused("scan-too-big")
    out = io.BytesIO()
    await bot.download(file_id, destination=out)
    return out.getvalue()
