"""Telegram API failures that must not break a conversation or lose an operation.

Installed on the bot's session, so every call site is covered: an expired callback query ("query is
too old"), an edit that changes nothing ("message is not modified") or a message already gone are
logged and treated as done; a short flood wait from Telegram is waited out once; an answer to a press
longer than Telegram takes is shortened.

`quietly` is the one way to make a call whose failure loses nothing but a courtesy (a notice, deleting
the message with a key): it is logged and the caller goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramRetryAfter,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetUpdates,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType
from aiogram.types import Message

from bot.domain.errors import Refused
from bot.domain.parsing import holds_key, looks_like_market_key

logger = logging.getLogger(__name__)
T = TypeVar("T")

MAX_FLOOD_WAIT = 5
TOAST_LIMIT = 200  # characters of an answer to a button press
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
        if isinstance(method, AnswerCallbackQuery) and method.text and len(method.text) > TOAST_LIMIT:
            # A toast or alert Telegram would refuse (it takes 200 characters): a long name in it
            # must not cost the user the answer to their press.
            method.text = method.text[: TOAST_LIMIT - 1] + "…"  # the request is built anew for each call
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


class TokenConflicts(BaseRequestMiddleware):
    """Another copy of the bot polling with the same token (started in another folder, container or
    server by mistake): Telegram then answers each copy's getUpdates with 409 in turn, and users'
    updates are split between two databases. Said plainly in the log once a minute (aiogram's own line
    for each refused poll does not say what to do), and /healthz fails while it goes on."""

    LOG_EVERY = 60.0  # seconds
    RECENT = 120.0  # seconds a conflict counts as going on

    def __init__(self) -> None:
        self.last_seen: float | None = None  # time.monotonic() of the last 409
        self._logged_at = -float("inf")

    @property
    def going_on(self) -> bool:
        return self.last_seen is not None and time.monotonic() - self.last_seen < self.RECENT

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramConflictError:
            if isinstance(method, GetUpdates):
                self.last_seen = time.monotonic()
                if self.last_seen - self._logged_at >= self.LOG_EVERY:
                    self._logged_at = self.last_seen
                    logger.error(  # noqa: TRY400 - what to do, not a traceback
                        "another copy of this bot polls Telegram with the same BOT_TOKEN (another "
                        "folder, container or server): users' updates are split between the two; "
                        "stop one of them"
                    )
            raise


async def quietly(call: Awaitable[T], what: str) -> T | None:
    """Await one Telegram call; if Telegram fails it, log `what` could not be done and return None."""
    try:
        return await call
    except TelegramAPIError as exc:
        logger.warning("could not %s: %s", what, type(exc).__name__)
        return None


async def never_a_key(bot: Bot, message: Message, text: str | None, api_key: str) -> None:
    """A Market API key (the shop's own `api_key` in any form, or what looks like one) pasted where a
    buyer would get it: the message is deleted, nothing goes, and the user is told (`Refused`, the
    step asked again)."""
    if not looks_like_market_key(text) and not holds_key(text, api_key):
        return
    await quietly(bot.delete_message(message.chat.id, message.message_id), "delete a message with a key")
    raise Refused("chat-looks-like-key").asking_again()
