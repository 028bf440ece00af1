"""Only the newest keyboard of a conversation is live: when the bot shows a step's buttons, the buttons
of the step before (in the same chat) are taken off that message. Old buttons do not pile up in the
chat, and nobody presses one that would only answer «устарела».

A session middleware, so that every step of every flow is covered without each handler remembering
its previous message. A conversation's keyboards are told apart by their buttons' callback prefixes;
the buttons that stay useful after a conversation (an alert's answers, a result's «Дальше», «Открыть
карточку», a batch's lines, /team, /shop) are not touched. The newest keyboard per chat is kept in
memory only: after a restart the first new step simply leaves the old one as it was.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import EditMessageReplyMarkup, EditMessageText, SendMessage, SendPhoto, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import InlineKeyboardMarkup, Message

from bot.telegram.safety import quietly

# The callback prefixes of a conversation's steps: the order list and its pages, the order card, the
# services, codes read off a photo, days, reasons, the delivered day, the shop to connect, a switch to
# another shop, and the confirmation cards (a step's, a bulk send's). Not a cancellation alert's
# question: it belongs to no conversation, and may come in the middle of one.
STEP_PREFIXES = frozenset({"od", "odp", "oc", "sv", "svp", "sc", "dd", "rs", "dv", "cp", "sw", "cf", "bk"})
REMEMBERED = 10_000  # chats whose newest step keyboard is remembered (the most recent ones)
SHOWING = (SendMessage, SendPhoto, EditMessageText, EditMessageReplyMarkup)


def is_step_keyboard(markup: object) -> bool:
    """Whether a message's keyboard is a conversation step's (any of its buttons is)."""
    if not isinstance(markup, InlineKeyboardMarkup):
        return False
    return any(
        button.callback_data.split(":", 1)[0] in STEP_PREFIXES
        for row in markup.inline_keyboard
        for button in row
        if button.callback_data
    )


class LiveKeyboards(BaseRequestMiddleware):
    def __init__(self) -> None:
        self._newest: OrderedDict[int | str, int] = OrderedDict()  # chat → message id

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        # aiogram's session hands the method's result through its middlewares (typed as a Response).
        shown: object = response
        if isinstance(method, SHOWING) and isinstance(shown, Message):
            await self._shown(bot, method, shown)
        return response

    async def _shown(self, bot: Bot, method: Any, message: Message) -> None:
        chat = message.chat.id
        newest = self._newest.get(chat)
        if not is_step_keyboard(method.reply_markup):
            if newest == message.message_id:  # the step's message became something else (a result)
                del self._newest[chat]
            return
        self._newest[chat] = message.message_id
        self._newest.move_to_end(chat)
        if len(self._newest) > REMEMBERED:
            self._newest.popitem(last=False)
        if newest is not None and newest != message.message_id:
            await quietly(
                bot.edit_message_reply_markup(chat_id=chat, message_id=newest, reply_markup=None),
                "take an answered step's buttons away",
            )
