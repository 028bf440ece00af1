"""A line soon after an answer to a buyer that nothing else took (no command, no order's number, no
list, no step waiting for text): «Отправить это покупателю заказа №…?» with one button, instead of
«Не понял». It is never sent unasked: the user may be writing to the bot, or to another buyer. When
the bot has shown another buyer's chat since that answer, it does not guess: it says how to answer
the right one (a swipe reply). Registered just before the fallback, so all the bot understands comes
first."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import BaseFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain.clock import utcnow
from bot.domain.errors import Refused
from bot.services.access import Access
from bot.services.chats.desk import ChatDesk, ChatPlace
from bot.telegram.access import requires
from bot.telegram.callbacks import ChatCD
from bot.telegram.draft import (
    FOLLOW_UP,
    LAST_CHAT_KEY,
    ChatAside,
    add_pending,
    load_aside,
    remember_answer,
    take_pending,
)
from bot.telegram.filters import plain_text
from bot.telegram.flows import Flows
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons
from bot.telegram.presses import PRE
from bot.telegram.safety import never_a_key
from bot.telegram.views import clip, outcome_text

QUOTED = 300  # characters of the line quoted in the question


class SoonAfterAnAnswer(BaseFilter):
    """The user answered a buyer within the last minutes: that chat, as `chat_route`."""

    async def __call__(self, message: Message, state: FSMContext) -> bool | dict[str, Any]:
        last = await load_aside(state, LAST_CHAT_KEY)
        if last is None or last.until is None or utcnow() > last.until:
            return False
        return {"chat_route": last}


async def on_line(
    message: Message,
    bot: Bot,
    state: FSMContext,
    t: Texts,
    access: Access,
    chats: ChatDesk,
    chat_route: ChatAside,
) -> None:
    text = message.text or ""
    await never_a_key(bot, message, text, access.api_key)
    if not chats.may_write(access):  # the owner turned couriers' messages off meanwhile
        await message.answer(t("unknown-input"))
        return
    answered_at = chat_route.until - FOLLOW_UP if chat_route.until else utcnow()
    if await chats.chats_shown_since(access.user_id, answered_at) - {chat_route.chat_id}:
        await message.answer(t("chat-follow-up-which"))  # another buyer's chat came up since: no guess
        return
    waits = utcnow() + FOLLOW_UP  # a line left waiting longer is not sent: it may no longer be true
    line = chat_route.model_copy(update={"message_id": message.message_id, "text": text, "until": waits})
    await add_pending(state, line)
    order = chat_route.order_id
    data = {"shop_id": access.shop_id, "chat_id": chat_route.chat_id, "n": message.message_id}
    send_label = (
        t.plain("button-follow-up-send", id=order) if order else t.plain("button-follow-up-send-direct")
    )
    keyboard = buttons(
        [
            (send_label, ChatCD(action="more", **data)),
            (t.plain("button-follow-up-keep"), ChatCD(action="less", **data)),
        ]
    )
    key = "chat-follow-up-ask" if order else "chat-follow-up-ask-direct"
    await message.answer(t(key, id=order or 0, text=clip(text, QUOTED)), reply_markup=keyboard)


async def on_send(
    query: CallbackQuery,
    callback_data: ChatCD,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    chats: ChatDesk,
) -> None:
    line = await take_pending(state, callback_data.n)
    mine = line is not None and line.chat_id == callback_data.chat_id and line.shop_id == access.shop_id
    if line is None or not mine or line.until is None or utcnow() > line.until:
        raise Refused("chat-follow-up-gone")
    nonce = f"m{query.from_user.id}:{line.message_id}"  # as if sent at the reply step: once
    outcome = await chats.send_text(access, line.chat_id, line.text or "", nonce)
    await card.edit_text(outcome_text(t, outcome), reply_markup=None)
    await chats.told(outcome)
    place = ChatPlace(line.chat_id, line.order_id)
    await chats.remember(access, card.message_id, place)  # a swipe reply to the result answers there
    if outcome.ok or outcome.pending:
        answered = ChatAside(shop_id=access.shop_id, chat_id=line.chat_id, order_id=line.order_id)
        await remember_answer(state, answered)


async def on_keep(
    query: CallbackQuery, callback_data: ChatCD, card: Message, state: FSMContext, t: Texts
) -> None:
    await take_pending(state, callback_data.n)  # only this line
    await card.edit_text(t("chat-follow-up-kept"), reply_markup=None)


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order (just before the fallback): in
    any step, a text that reaches here is one no step took (a step waiting for a button)."""
    # Not (or no longer) allowed to that chat: the line is just not understood, as without it.
    follows = requires("route", refusal="unknown-input")
    router.message.register(on_line, plain_text, SoonAfterAnAnswer(), flags=follows)
    button = requires("button", refusal="no-right")
    router.callback_query.register(on_send, ChatCD.filter(F.action == "more"), flags=button | PRE)
    router.callback_query.register(on_keep, ChatCD.filter(F.action == "less"), flags=button)
