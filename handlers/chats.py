"""Buyers' chats: /chats (the chats waiting for an answer), a chat's last messages, and answering —
«↩️ Ответить» then a text, a photo or a file; a Telegram reply to a buyer's message (or to anything
the bot showed about the chat); a quick phrase in one tap; «💬 Написать покупателю» from a card.

The reply step opens over any conversation and hands back to it once the answer went (a courier in
the middle of /track answers the buyer, then sends the track code). The rest of an album follows its
first photo; a line that means nothing else soon after an answer is offered to the same chat with one
button (handlers.follow_ups), never sent to it unasked."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import BaseFilter, Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.domain.clock import utcnow
from bot.domain.errors import NoChatScope, NotAllowedForCouriers, Refused
from bot.domain.outcomes import Outcome
from bot.domain.records import ChatPost
from bot.services.access import Access
from bot.services.chats.desk import ChatDesk, ChatPlace
from bot.telegram.access import requires, user_id_of
from bot.telegram.callbacks import ChatCD
from bot.telegram.chat_views import (
    PHRASES,
    chat_keyboard,
    log_text,
    phrases_keyboard,
    reply_prompt,
    resumed_text,
    waiting_view,
)
from bot.telegram.draft import (
    ALBUM_KEY,
    ChatAside,
    ChatDraft,
    close_chat_step,
    load_aside,
    load_chat,
    open_chat_step,
    remember_answer,
)
from bot.telegram.files import has_file, upload_of
from bot.telegram.filters import not_a_command
from bot.telegram.flows import Flow, Flows
from bot.telegram.i18n import Texts
from bot.telegram.presses import PRE
from bot.telegram.safety import never_a_key
from bot.telegram.views import outcome_text


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


class RestOfAlbum(BaseFilter):
    """A photo of an album whose first photo went to a buyer's chat: it goes to the same chat, as
    `chat_route` (its shop then checked like a button's)."""

    async def __call__(self, message: Message, state: FSMContext) -> bool | dict[str, Any]:
        if message.media_group_id is None:
            return False
        album = await load_aside(state, ALBUM_KEY)
        if album is None or album.group != message.media_group_id:
            return False
        return {"chat_route": album}


async def show_waiting(message: Message, t: Texts, access: Access, chats: ChatDesk) -> None:
    waiting = await chats.waiting(access)
    text, keyboard = waiting_view(t, access.shop_id, access.shop.title, waiting, utcnow())
    await message.answer(text, reply_markup=keyboard)


async def on_open(
    query: CallbackQuery, callback_data: ChatCD, card: Message, t: Texts, access: Access, chats: ChatDesk
) -> None:
    log = await chats.log(access, callback_data.chat_id)
    chat = log.chat
    may_reply = chats.may_write(access)
    keyboard = chat_keyboard(t, access.shop_id, chat.chat_id, chat.context.order_id, may_reply=may_reply)
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
    await _open_reply(card, state, t, access, chats, ChatPlace(chat.chat_id, chat.context.order_id))


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
    await _open_reply(card, state, t, access, chats, ChatPlace(chat_id, callback_data.order_id))


async def _open_reply(
    card: Message, state: FSMContext, t: Texts, access: Access, chats: ChatDesk, place: ChatPlace
) -> None:
    draft = ChatDraft(shop_id=access.shop_id, chat_id=place.chat_id, order_id=place.order_id)
    await open_chat_step(state, ChatSG.answer, draft)
    keyboard = phrases_keyboard(t, access.shop_id, place.chat_id, phrases=place.order_id is not None)
    prompt = await card.answer(reply_prompt(t, place.order_id), reply_markup=keyboard)
    await chats.remember(access, prompt.message_id, place)  # a swipe reply to it answers there too


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
    outcome = await chats.send_text(access, callback_data.chat_id, text, nonce)
    place = ChatPlace(callback_data.chat_id, outcome.operation.order_id or None)
    draft = await load_chat(state)
    if (
        draft is not None
        and draft.chat_id == callback_data.chat_id
        and await state.get_state() == ChatSG.answer.state
    ):
        await close_chat_step(state)  # back where the phrase was chosen from (the card): nothing to ask
    await _tell(card, t, access, chats, outcome, place)
    if outcome.ok or outcome.pending:
        await _answered(state, place, access.shop_id)


async def on_stop(
    query: CallbackQuery, callback_data: ChatCD, card: Message, state: FSMContext, t: Texts, flows: Flows
) -> None:
    draft = await load_chat(state)
    back = None
    if (
        draft is not None
        and draft.chat_id == callback_data.chat_id
        and await state.get_state() == ChatSG.answer.state
    ):
        back = await close_chat_step(state)
    await card.answer(t("chat-reply-stopped"))
    await _resumed(card, t, flows, back)


async def on_answer(
    message: Message, bot: Bot, state: FSMContext, t: Texts, access: Access, chats: ChatDesk, flows: Flows
) -> None:
    """What the user sends at the reply step goes to the chat; then back to the step it opened over.
    Refused by the Market: asked again when nothing else was open, else back there with how to try
    again (a swipe reply)."""
    draft = await load_chat(state)
    if draft is None:  # the access check found it; gone since
        raise Refused("stale-button")
    place = ChatPlace(draft.chat_id, draft.order_id)
    try:
        went = await _send(message, bot, t, access, chats, place, known=True)
    except (NotAllowedForCouriers, NoChatScope):  # no answer can go: the step ends
        await close_chat_step(state)
        raise
    if not went and draft.resume is None:
        await message.answer(t("chat-reply-again"))
        return
    back = await close_chat_step(state)
    if not went:
        await message.answer(t("chat-try-again-by-reply"))
    else:
        await _answered(state, place, access.shop_id, message.media_group_id)
    await _resumed(message, t, flows, back)


async def on_reply_to_buyer(
    message: Message,
    bot: Bot,
    state: FSMContext,
    t: Texts,
    access: Access,
    chats: ChatDesk,
    chat_route: ChatPost,
) -> None:
    place = ChatPlace(chat_route.chat_id, chat_route.order_id)
    album = await load_aside(state, ALBUM_KEY)
    # Telegram marks each photo of an album sent as a reply: the first one's ✅ says it for all.
    rest = message.media_group_id is not None and album is not None and album.group == message.media_group_id
    if await _send(message, bot, t, access, chats, place, known=True, quiet=rest):
        await _answered(state, place, access.shop_id, message.media_group_id)


async def on_rest_of_album(
    message: Message, bot: Bot, t: Texts, access: Access, chats: ChatDesk, chat_route: ChatAside
) -> None:
    """A further photo of an album whose first went to the chat: sent quietly (the first one's ✅ said
    it), its caption and any refusal told."""
    place = ChatPlace(chat_route.chat_id, chat_route.order_id)
    await _send(message, bot, t, access, chats, place, known=True, quiet=True)


async def _answered(state: FSMContext, place: ChatPlace, shop_id: int, album: str | None = None) -> None:
    answered = ChatAside(shop_id=shop_id, chat_id=place.chat_id, order_id=place.order_id)
    await remember_answer(state, answered, album)


async def _send(
    message: Message,
    bot: Bot,
    t: Texts,
    access: Access,
    chats: ChatDesk,
    place: ChatPlace,
    *,
    known: bool,
    quiet: bool = False,
) -> bool:
    """A text goes as a message; a photo or a document as a file, its caption as a message after it;
    anything else is asked again. False when the Market refused (its reason told). `quiet`: a file
    that went is not confirmed."""
    text = message.text or message.caption
    await never_a_key(bot, message, text, access.api_key)
    if has_file(message):
        name = message.document.file_name if message.document is not None else None
        await never_a_key(bot, message, name, access.api_key)
        upload = await upload_of(message, bot)
        await chats.send_file(access, place.chat_id, upload, known=place if known else None)
        if not text:
            if not quiet:
                await _shown(message, _file_sent(t, place), access, chats, place)
            return True
    if not text:
        raise Refused("chat-reply-what").asking_again()
    nonce = f"m{message.chat.id}:{message.message_id}"
    outcome = await chats.send_text(access, place.chat_id, text, nonce, known=place if known else None)
    said = outcome_text(t, outcome)
    if has_file(message) and outcome.ok and place.order_id:
        said = t("chat-file-and-caption-sent", id=place.order_id)
    elif has_file(message):
        said = _file_sent(t, place) + "\n" + said
    await _shown(message, said, access, chats, place)
    await chats.told(outcome)
    return outcome.ok or outcome.pending


def _file_sent(t: Texts, place: ChatPlace) -> str:
    if place.order_id:
        return t("chat-file-sent", id=place.order_id)
    return t("chat-file-sent-direct")


async def _tell(
    message: Message, t: Texts, access: Access, chats: ChatDesk, outcome: Outcome, place: ChatPlace
) -> None:
    """The message's result, once: a reply to it answers the same chat."""
    await _shown(message, outcome_text(t, outcome), access, chats, place)
    await chats.told(outcome)


async def _shown(message: Message, text: str, access: Access, chats: ChatDesk, place: ChatPlace) -> None:
    """A result about the chat, shown; a Telegram reply to it answers the same chat."""
    shown = await message.answer(text)
    await chats.remember(access, shown.message_id, place)


async def _resumed(message: Message, t: Texts, flows: Flows, back: str | None) -> None:
    """Back at the step the reply opened over: its question again."""
    text = resumed_text(t, flows, back)
    if text is not None:
        await message.answer(text)


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order. A reply to a buyer's message
    comes first: it answers the buyer whatever conversation is open."""
    flows.add(Flow("chat", ChatSG, {ChatSG.answer: "chat-reply-again"}))
    to_route = requires("route", refusal="chat-gone")
    router.message.register(on_reply_to_buyer, RepliesToBuyer(), flags=to_route)
    router.message.register(on_rest_of_album, RestOfAlbum(), flags=to_route)
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
