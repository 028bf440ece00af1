"""Last line of defence: tell the user plainly, log what no handler expected (never a secret)."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.types import ErrorEvent

from bot.domain.errors import MarketFailure
from bot.telegram.flows import Flows
from bot.telegram.i18n import Catalogue
from bot.telegram.safety import quietly
from bot.telegram.views import failure_text

logger = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, bot: Bot, catalogue: Catalogue) -> bool:
    update = event.update
    exc = event.exception
    user = None
    chat_id = None
    if update.message is not None:
        user, chat_id = update.message.from_user, update.message.chat.id
    elif update.callback_query is not None:
        user, chat_id = update.callback_query.from_user, update.callback_query.from_user.id
    t = catalogue.texts(user.language_code if user else None)
    if isinstance(exc, MarketFailure):
        logger.warning("Market error in update %s: %s", update.update_id, type(exc).__name__)
        text = failure_text(t, exc.failure)
    else:
        logger.error(
            "unhandled %s in update %s (%s)",
            type(exc).__name__,
            update.update_id,
            update.event_type,
            exc_info=exc,
        )
        text = t("internal-error")
    if chat_id is not None:
        await quietly(bot.send_message(chat_id, text), "tell the user about the error")
    return True


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order."""
    router.error.register(on_error)
