"""Buyers' chats: /chats (the chats waiting for an answer), a chat's last messages, and answering —
«↩️ Ответить» then a text, a photo or a file; a Telegram reply to a buyer's message (or to anything
the bot showed about the chat); a quick phrase in one tap; «💬 Написать покупателю» from a card.

The reply step opens over any conversation and hands back to it once the answer went (a courier in
the middle of /track answers the buyer, then sends the track code). Opened on its own, it stays open
`FOLLOW_UP` after each answer for the second photo or one more line, then lets go."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import BaseFilter, Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.domain.clock import utcnow
from bot.domain.errors import NotAllowedForCouriers, Refused
from bot.domain.outcomes import Outcome
from bot.domain.records import ChatPost
from bot.services.access import Access
from bot.services.chats.desk import ChatDesk, ChatPlace
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
from bot.telegram.draft import ChatDraft, close_chat_step, load_chat, open_chat_step, save_chat
from bot.telegram.files import has_file, upload_of
from bot.telegram.filters import not_a_command
from bot.telegram.flows import Flow, Flows
from bot.telegram.i18n import Texts
from bot.telegram.presses import PRE
from bot.telegram.views import outcome_text

FOLLOW_UP = dt.timedelta(minutes=2)  # after an answer, what the user sends goes to the same chat


class ChatSG(StatesGroup):
    answer = State()  # what the user sends next goes to the buyer's chat


class RepliesToBuyer(BaseFilter):
    """A Telegram reply (not a command) to a message the bot showed this user about a buyer's chat:
    `chat_route` is that chat (its shop is then checked like a button's)."""

    async def __call__(self, message: Message, chats: ChatDesk) -> bool | dict[str, Any]:
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or not replied.from_user.is_bot:
            return False
        if (message.text or "").startswith("/"):  # a command chosen while a reply was started: it runs
            return False
        route = await chats.route(user_id_of(message), replied.message_id)
        return {"chat_route": route} if route is not None else False


ALBUM_KEY = "chat_album"  # FSM data: the album whose first photo went to a chat, and the chat


class RestOfAlbum(BaseFilter):
    """A photo of an album whose first photo went to a buyer's chat (the reply step had handed back
    to the conversation it opened over): it goes to the same chat, as `chat_route`."""

    async def __call__(self, message: Message, state: FSMContext) -> bool | dict[str, Any]:
        if message.media_group_id is None:
            return False
        album = (await state.get_data()).get(ALBUM_KEY)
        if not isinstance(album, dict) or album.get("group") != message.media_group_id:
            return False
        route = ChatPost(
            user_id=user_id_of(message),
            tg_message_id=0,
            shop_id=int(album["shop_id"]),
            chat_id=int(album["chat_id"]),
            message_id=0,
            order_id=album.get("order_id"),
            header=False,
            answered_by=None,
        )
        return {"chat_route": route}


async def show_waiting(message: Message, t: Texts, access: Access, chats: ChatDesk) -> None:
    waiting = await chats.waiting(access)
    text, keyboard = waiting_view(t, access.shop_id, access.shop.title, waiting, utcnow())
    await message.answer(text, reply_markup=keyboard)


async def on_open(
    query: CallbackQuery, callback_data: ChatCD, card: Message, t: Texts, access: Access, chats: ChatDesk
) -> None:
    log = await chats.log(access, callback_data.chat_id)
    keyboard = log_keyboard(t, access.shop_id, log.chat, may_reply=chats.may_write(access))
    shown = await card.answer(log_text(t, log), reply_markup=keyboard)
    await chats.remember(access, shown.message_id, ChatPlace(log.chat.chat_id, log.chat.context.order_id))


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
    await _open_reply(card, state, t, access, ChatPlace(chat.chat_id, chat.context.order_id))


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
    await _open_reply(card, state, t, access, ChatPlace(chat_id, callback_data.order_id))


async def _open_reply(card: Message, state: FSMContext, t: Texts, access: Access, place: ChatPlace) -> None:
    draft = ChatDraft(shop_id=access.shop_id, chat_id=place.chat_id, order_id=place.order_id)
    await open_chat_step(state, ChatSG.answer, draft)
    keyboard = phrases_keyboard(t, access.shop_id, place.chat_id, phrases=place.order_id is not None)
    await card.answer(reply_prompt(t, place.order_id), reply_markup=keyboard)


async def on_phrase(
    query: CallbackQuery,
    callback_data: ChatCD,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    chats: ChatDesk,
    flows: Flows,
) -> None:
    if not 0 <= callback_data.n < PHRASES:
        raise Refused("stale-button")
    text = t.plain(f"chat-phrase-{callback_data.n}")
    # One phrase of one keyboard goes once, however many times it is tapped.
    nonce = f"p{card.message_id}:{callback_data.chat_id}:{callback_data.n}"
    outcome = await chats.send_text(access, callback_data.chat_id, text, nonce)
    back = await _after_phrase(state, callback_data.chat_id)
    place = ChatPlace(callback_data.chat_id, outcome.operation.order_id or None)
    await _tell(card, t, access, chats, outcome, place)
    await _resumed(card, t, flows, back)


async def _after_phrase(state: FSMContext, chat_id: int) -> str | None:
    """A phrase went: the reply step open on that chat ends (back to the step it opened over)."""
    draft = await load_chat(state)
    if draft is None or draft.chat_id != chat_id or await state.get_state() != ChatSG.answer.state:
        return None
    return await close_chat_step(state)


async def on_stop(
    query: CallbackQuery, callback_data: ChatCD, card: Message, state: FSMContext, t: Texts, flows: Flows
) -> None:
    draft = await load_chat(state)
    if draft is not None and draft.chat_id == callback_data.chat_id:
        back = await close_chat_step(state)
        await card.answer(t("chat-reply-stopped"))
        await _resumed(card, t, flows, back)
    else:
        await card.answer(t("chat-reply-stopped"))


async def on_answer(
    message: Message, bot: Bot, state: FSMContext, t: Texts, access: Access, chats: ChatDesk, flows: Flows
) -> None:
    draft = await load_chat(state)
    if draft is None:  # the access check found it; gone since
        raise Refused("stale-button")
    if draft.open_until is not None and utcnow() > draft.open_until:
        # The follow-up time is over: this is not for the buyer. The step lets go, and the message
        # is taken as it would be without it (a label's photo, an order's number...).
        await close_chat_step(state)
        raise SkipHandler
    place = ChatPlace(draft.chat_id, draft.order_id)
    follow_up = draft.resume is None
    if not await _send(message, bot, t, access, chats, place, known=True, follow_up=follow_up):
        await message.answer(t("chat-reply-again"))  # refused by the Market: the step stays for another try
        return
    if draft.resume is not None:
        await _resumed(message, t, flows, await close_chat_step(state))
        if message.media_group_id is not None:  # the album's other photos follow to the same chat
            album = {
                "group": message.media_group_id,
                **draft.model_dump(include={"shop_id", "chat_id", "order_id"}),
            }
            await state.update_data({ALBUM_KEY: album})
        return
    await save_chat(state, draft.model_copy(update={"open_until": utcnow() + FOLLOW_UP}))


async def on_reply_to_buyer(
    message: Message, bot: Bot, t: Texts, access: Access, chats: ChatDesk, chat_route: ChatPost
) -> None:
    place = ChatPlace(chat_route.chat_id, chat_route.order_id)
    await _send(message, bot, t, access, chats, place, known=True)


async def _send(
    message: Message,
    bot: Bot,
    t: Texts,
    access: Access,
    chats: ChatDesk,
    place: ChatPlace,
    *,
    known: bool,
    follow_up: bool = False,
) -> bool:
    """A text goes as a message; a photo or a document as a file, its caption as a message after it;
    anything else is asked again. False when the Market refused (its reason told). `follow_up`: the
    result says the next message goes to the same chat for a while."""
    text = message.text or message.caption
    if has_file(message):
        upload = await upload_of(message, bot)
        await chats.send_file(access, place.chat_id, upload, known=place if known else None)
        if not text:
            key = "chat-file-sent" if place.order_id else "chat-file-sent-direct"
            await _shown(message, t(key, id=place.order_id or 0), t, access, chats, place, follow_up)
            return True
    if not text:
        raise _again(Refused("chat-reply-what"))
    nonce = f"m{message.chat.id}:{message.message_id}"
    outcome = await chats.send_text(access, place.chat_id, text, nonce, known=place if known else None)
    went = outcome.ok or outcome.pending
    said = outcome_text(t, outcome)
    if has_file(message):
        said = t("chat-file-sent-with-caption") + "\n" + said
    await _shown(message, said, t, access, chats, place, follow_up and went)
    await chats.told(outcome)
    return went


async def _tell(
    message: Message, t: Texts, access: Access, chats: ChatDesk, outcome: Outcome, place: ChatPlace
) -> None:
    """The message's result, once: a reply to it answers the same chat."""
    await _shown(message, outcome_text(t, outcome), t, access, chats, place, False)
    await chats.told(outcome)


async def _shown(
    message: Message, text: str, t: Texts, access: Access, chats: ChatDesk, place: ChatPlace, follow_up: bool
) -> None:
    """A result about the chat, shown; a Telegram reply to it answers the same chat."""
    shown = await message.answer(text + ("\n" + t("chat-follow-up") if follow_up else ""))
    await chats.remember(access, shown.message_id, place)


async def _resumed(message: Message, t: Texts, flows: Flows, back: str | None) -> None:
    """Back at the step the reply opened over: its question again."""
    prompt = flows.prompt(back)
    if prompt is not None:
        await message.answer(t("chat-resumed") + "\n" + t(prompt))


def _again(refusal: Refused) -> Refused:
    refusal.again = True
    return refusal


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order. A reply to a buyer's message
    comes first: it answers the buyer whatever conversation is open."""
    flows.add(Flow("chat", ChatSG, {ChatSG.answer: "chat-reply-again"}))
    to_route = requires("route", refusal="chat-gone")
    router.message.register(on_reply_to_buyer, RepliesToBuyer(), flags=to_route)
    router.message.register(on_reply_to_buyer, RestOfAlbum(), flags=to_route)
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
