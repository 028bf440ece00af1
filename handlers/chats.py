"""Buyers' chats: /chats (the chats waiting for an answer), a chat's last messages, and answering —
«↩️ Ответить» then a text, a photo or a file; a Telegram reply to a buyer's message; a quick phrase
in one tap; «💬 Написать покупателю» from an order's card."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import BaseFilter, Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.domain.clock import utcnow
from bot.domain.errors import NotAllowedForCouriers, Refused
from bot.domain.records import ChatPost
from bot.services.access import Access
from bot.services.chats.desk import ChatDesk
from bot.telegram.access import requires, user_id_of
from bot.telegram.callbacks import ChatCD
from bot.telegram.chat_views import (
    PHRASES,
    log_keyboard,
    log_text,
    phrases_keyboard,
    reply_prompt,
    waiting_view,
)
from bot.telegram.draft import ChatDraft, load_chat, save_chat
from bot.telegram.files import has_file, upload_of
from bot.telegram.filters import not_a_command
from bot.telegram.flows import Flow, Flows
from bot.telegram.i18n import Texts
from bot.telegram.presses import PRE
from bot.telegram.views import outcome_text


class ChatSG(StatesGroup):
    answer = State()  # what the user sends next goes to the buyer's chat


class RepliesToBuyer(BaseFilter):
    """A Telegram reply to a buyer's message the bot showed this user: `chat_route` is that message's
    chat (its shop is then checked like a button's)."""

    async def __call__(self, message: Message, chats: ChatDesk) -> bool | dict[str, Any]:
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or not replied.from_user.is_bot:
            return False
        route = await chats.route(user_id_of(message), replied.message_id)
        return {"chat_route": route} if route is not None else False


async def show_waiting(message: Message, t: Texts, access: Access, chats: ChatDesk) -> None:
    waiting = await chats.waiting(access)
    text, keyboard = waiting_view(t, access.shop_id, access.shop.title, waiting, utcnow())
    await message.answer(text, reply_markup=keyboard)


async def on_open(
    query: CallbackQuery, callback_data: ChatCD, card: Message, t: Texts, access: Access, chats: ChatDesk
) -> None:
    log = await chats.log(access, callback_data.chat_id)
    keyboard = log_keyboard(t, access.shop_id, log.chat, may_reply=chats.may_write(access))
    await card.answer(log_text(t, log), reply_markup=keyboard)


async def on_reply(
    query: CallbackQuery,
    callback_data: ChatCD,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    chats: ChatDesk,
) -> None:
    if not chats.may_write(access):
        raise NotAllowedForCouriers("chat-couriers-off")
    chat = await chats.chat(access, callback_data.chat_id)
    await _open_reply(card, state, t, access, chat.chat_id, chat.context.order_id)


async def on_write(
    query: CallbackQuery,
    callback_data: ChatCD,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    chats: ChatDesk,
) -> None:
    chat_id = await chats.order_chat(access, callback_data.order_id)
    await _open_reply(card, state, t, access, chat_id, callback_data.order_id)


async def _open_reply(
    card: Message, state: FSMContext, t: Texts, access: Access, chat_id: int, order_id: int | None
) -> None:
    await state.set_state(ChatSG.answer)
    await save_chat(state, ChatDraft(shop_id=access.shop_id, chat_id=chat_id, order_id=order_id))
    keyboard = phrases_keyboard(t, access.shop_id, chat_id, phrases=order_id is not None)
    await card.answer(reply_prompt(t, order_id), reply_markup=keyboard)


async def on_phrase(
    query: CallbackQuery,
    callback_data: ChatCD,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    chats: ChatDesk,
) -> None:
    if not 0 <= callback_data.n < PHRASES:
        raise Refused("stale-button")
    text = t.plain(f"chat-phrase-{callback_data.n}")
    # One phrase of one keyboard goes once, however many times it is tapped.
    nonce = f"p{card.message_id}:{callback_data.chat_id}:{callback_data.n}"
    outcome = await chats.send_text(access, callback_data.chat_id, text, nonce=nonce)
    await _ended_reply(state, callback_data.chat_id, outcome.ok or outcome.pending)
    await card.answer(outcome_text(t, outcome))


async def on_stop(
    query: CallbackQuery, callback_data: ChatCD, card: Message, state: FSMContext, t: Texts
) -> None:
    await _ended_reply(state, callback_data.chat_id, True)
    await card.answer(t("chat-reply-stopped"))


async def on_answer(
    message: Message, bot: Bot, state: FSMContext, t: Texts, access: Access, chats: ChatDesk
) -> None:
    draft = await load_chat(state)
    if draft is None:  # the access check found it; gone since
        raise Refused("stale-button")
    if await _send(message, bot, t, access, chats, draft.chat_id):
        await state.clear()
    else:  # refused by the Market: the reply step stays for another try
        await message.answer(t("chat-reply-again"))


async def on_reply_to_buyer(
    message: Message, bot: Bot, t: Texts, access: Access, chats: ChatDesk, chat_route: ChatPost
) -> None:
    await _send(message, bot, t, access, chats, chat_route.chat_id)


async def _send(message: Message, bot: Bot, t: Texts, access: Access, chats: ChatDesk, chat_id: int) -> bool:
    """A text goes as a message, a photo or a document as a file; anything else is asked again.
    False when the Market refused the text (its reason told)."""
    if has_file(message):
        upload = await upload_of(message, bot)
        await chats.send_file(access, chat_id, upload.name, upload.data, upload.content_type)
        await message.answer(t("chat-file-sent"))
        return True
    text = message.text or message.caption
    if not text:
        raise _again(Refused("chat-reply-what"))
    outcome = await chats.send_text(access, chat_id, text, nonce=f"m{message.chat.id}:{message.message_id}")
    await message.answer(outcome_text(t, outcome))
    return outcome.ok or outcome.pending


async def _ended_reply(state: FSMContext, chat_id: int, ended: bool) -> None:
    """The reply step on this chat ends (a phrase sent, «Отмена»); one on another chat stays."""
    draft = await load_chat(state)
    if ended and draft is not None and draft.chat_id == chat_id:
        await state.clear()


def _again(refusal: Refused) -> Refused:
    refusal.again = True
    return refusal


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order. A reply to a buyer's message
    comes first: it answers the buyer whatever conversation is open."""
    flows.add(Flow("chat", ChatSG, {ChatSG.answer: "chat-reply-again"}))
    router.message.register(on_reply_to_buyer, RepliesToBuyer(), flags=requires("route", refusal="chat-gone"))
    router.message.register(show_waiting, Command("chats"), flags=requires())
    router.message.register(
        on_answer,
        StateFilter(ChatSG.answer),
        not_a_command,
        flags=requires("chat", refusal="chat-gone"),
    )
    button = requires("button", refusal="no-right")
    router.callback_query.register(on_open, ChatCD.filter(F.action == "open"), flags=button | PRE)
    router.callback_query.register(on_reply, ChatCD.filter(F.action == "reply"), flags=button | PRE)
    router.callback_query.register(on_write, ChatCD.filter(F.action == "write"), flags=button | PRE)
    router.callback_query.register(on_phrase, ChatCD.filter(F.action == "phrase"), flags=button | PRE)
    router.callback_query.register(on_stop, ChatCD.filter(F.action == "stop"), flags=button)
