"""Telegram API failures that must not break a conversation or lose an operation.

Installed on the bot's session, so every call site is covered: an expired callback query ("query is
too old"), an edit that changes nothing ("message is not modified") or a message already gone are
logged and treated as done; a short flood wait from Telegram is waited out once.

`quietly` is the one way to make a call whose failure loses nothing but a courtesy (a notice, deleting
the message with a key): it is logged and the caller goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType

logger = logging.getLogger(__name__)
T = TypeVar("T")

MAX_FLOOD_WAIT = 5
FORGIVEN = (AnswerCallbackQuery, EditMessageText, EditMessageReplyMarkup, DeleteMessage)
HARMLESS = (
    "query is too old",
    "query id is invalid",
    "message is not modified",
    "message to delete not found",
)


class ForgivingRequests(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter as exc:
            if exc.retry_after > MAX_FLOOD_WAIT:
                raise
            logger.warning("Telegram asked to wait %ss before %s", exc.retry_after, type(method).__name__)
            await asyncio.sleep(exc.retry_after)
            return await make_request(bot, method)
        except TelegramBadRequest as exc:
            if not isinstance(method, FORGIVEN) or not any(h in exc.message.lower() for h in HARMLESS):
                raise
            logger.info("ignored harmless Telegram error on %s: %s", type(method).__name__, exc.message)
            result: Any = True
            return Response[TelegramType](ok=True, result=result)


async def quietly(call: Awaitable[T], what: str) -> T | None:
    """Await one Telegram call; if Telegram fails it, log `what` could not be done and return None."""
    try:
        return await call
    except TelegramAPIError as exc:
        logger.warning("could not %s: %s", what, type(exc).__name__)
        return None
