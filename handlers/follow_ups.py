"""A line soon after an answer to a buyer that means nothing else to the bot (no command, no order's
number, no list, no step waiting for it): «Отправить это покупателю заказа №…?» with one button,
instead of «Не понял». It is never sent unasked: the user may be writing to the bot, or to another
buyer. Registered just before the fallback, so everything the bot understands comes first."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import BaseFilter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain.clock import utcnow
from bot.domain.errors import Refused
from bot.services.access import Access
from bot.services.chats.desk import ChatDesk
from bot.telegram.access import requires
from bot.telegram.callbacks import ChatCD
from bot.telegram.draft import LAST_CHAT_KEY, PENDING_KEY, load_aside
from bot.telegram.filters import plain_text
from bot.telegram.flows import Flows
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons
from bot.telegram.presses import PRE
from bot.telegram.views import clip, outcome_text

QUOTED = 300  # characters of the line quoted in the question


class SoonAfterAnAnswer(BaseFilter):
    """The user answered a buyer within the last minutes: that chat, as `chat_route`."""

    async def __call__(self, message: Message, state: FSMContext) -> bool | dict[str, Any]:
        last = await load_aside(state, LAST_CHAT_KEY)
        if last is None or last.until is None or utcnow() > last.until:
            return False
        return {"chat_route": last}


async def on_line(message: Message, state: FSMContext, t: Texts, access: Access, chat_route: Any) -> None:
    text = message.text or ""
    pending = chat_route.model_copy(update={"message_id": message.message_id, "text": text, "until": None})
    await state.update_data({PENDING_KEY: pending.model_dump(mode="json")})
    send = ChatCD(action="more", shop_id=access.shop_id, chat_id=chat_route.chat_id, n=message.message_id)
    keep = ChatCD(action="less", shop_id=access.shop_id, chat_id=chat_route.chat_id, n=message.message_id)
    key = "chat-follow-up-ask" if chat_route.order_id else "chat-follow-up-ask-direct"
    keyboard = buttons([(t.plain("button-follow-up-send"), send), (t.plain("button-follow-up-keep"), keep)])
    await message.answer(t(key, id=chat_route.order_id or 0, text=clip(text, QUOTED)), reply_markup=keyboard)


async def on_send(
    query: CallbackQuery,
    callback_data: ChatCD,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    chats: ChatDesk,
) -> None:
    pending = await load_aside(state, PENDING_KEY)
    if pending is None or pending.message_id != callback_data.n or pending.chat_id != callback_data.chat_id:
        raise Refused("chat-follow-up-gone")
    nonce = f"m{query.from_user.id}:{pending.message_id}"  # as if sent at the reply step: once
    outcome = await chats.send_text(access, pending.chat_id, pending.text or "", nonce)
    await _forget(state)
    await card.edit_text(outcome_text(t, outcome), reply_markup=None)
    await chats.told(outcome)


async def on_keep(query: CallbackQuery, card: Message, state: FSMContext, t: Texts) -> None:
    await _forget(state)
    await card.edit_text(t("chat-follow-up-kept"), reply_markup=None)


async def _forget(state: FSMContext) -> None:
    data = await state.get_data()
    data.pop(PENDING_KEY, None)
    await state.set_data(data)


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order (just before the fallback)."""
    router.message.register(
        on_line,
        StateFilter(None),
        plain_text,
        SoonAfterAnAnswer(),
        flags=requires("route", refusal="chat-gone"),
    )
    button = requires("button", refusal="no-right")
    router.callback_query.register(on_send, ChatCD.filter(F.action == "more"), flags=button | PRE)
    router.callback_query.register(on_keep, ChatCD.filter(F.action == "less"), flags=button)
