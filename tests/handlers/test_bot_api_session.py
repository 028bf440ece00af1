"""The bot's Bot API session (bot.telegram.session) against the fake server: a call goes as JSON, a
call with a file as a multipart form, and Telegram's refusals reach the bot as aiogram's exceptions
(which its error handling and `bot.telegram.safety` are written against)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import SendMessage
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram.session import JsonSession
from tests.fakes.telegram import FakeTelegram, bot_for, close

USER = 601
BUTTONS = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Отправить", callback_data="cf:1")]]
)


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    bot = bot_for(telegram)
    yield bot
    await close(bot)


async def test_the_tests_bot_is_the_one_production_builds(bot: Bot) -> None:
    assert type(bot.session) is JsonSession


async def test_a_call_without_files_goes_as_json_and_arrives_as_sent(
    bot: Bot, telegram: FakeTelegram
) -> None:
    sent = await bot.send_message(USER, "Заказ №42: <b>трек-номер</b> принят", reply_markup=BUTTONS)
    [call] = telegram.calls
    assert (call.method, call.content_type) == ("sendMessage", "application/json")
    assert call.params == {
        "chat_id": USER,
        "text": "Заказ №42: <b>трек-номер</b> принят",
        "parse_mode": "HTML",  # the bot's default, filled in
        "reply_markup": {"inline_keyboard": [[{"text": "Отправить", "callback_data": "cf:1"}]]},
    }
    assert sent.chat.id == USER and sent.text == call.params["text"]


async def test_a_call_with_a_file_goes_as_a_multipart_form(bot: Bot, telegram: FakeTelegram) -> None:
    content = "номер;трек\n42;CDEK-1\n".encode()
    sent = await bot.send_document(
        USER, BufferedInputFile(content, "отчёт.csv"), caption="Отчёт", reply_markup=BUTTONS
    )
    [call] = telegram.calls
    assert (call.method, call.content_type) == ("sendDocument", "multipart/form-data")
    assert call.params == {
        "chat_id": USER,
        "document": content,
        "caption": "Отчёт",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "Отправить", "callback_data": "cf:1"}]]},
    }
    assert sent.document is not None and sent.document.file_size == len(content)


@pytest.mark.parametrize(
    ("status", "description", "error"),
    [
        (400, "Bad Request: message is not modified", TelegramBadRequest),
        (401, "Unauthorized", TelegramUnauthorizedError),
        (403, "Forbidden: bot was blocked by the user", TelegramForbiddenError),
        (404, "Not Found", TelegramNotFound),
        (409, "Conflict: terminated by other getUpdates request", TelegramConflictError),
        (429, "Too Many Requests: retry after 7", TelegramRetryAfter),
        (500, "Internal Server Error", TelegramServerError),
        (502, "Bad Gateway", TelegramServerError),
        (418, "I'm a teapot", TelegramAPIError),
    ],
)
async def test_telegrams_refusals_are_aiograms_exceptions(
    bot: Bot, telegram: FakeTelegram, status: int, description: str, error: type[TelegramAPIError]
) -> None:
    telegram.fail("sendMessage", status, description)
    with pytest.raises(TelegramAPIError) as refused:
        await bot.send_message(USER, "Привет")
    assert type(refused.value) is error
    assert description in refused.value.message and refused.value.method == SendMessage(
        chat_id=USER, text="Привет"
    )
    if isinstance(refused.value, TelegramRetryAfter):
        assert refused.value.retry_after == 7


async def test_an_unreachable_telegram_is_a_network_error(bot: Bot, telegram: FakeTelegram) -> None:
    await telegram.stop()
    with pytest.raises(TelegramNetworkError, match="ClientConnectorError"):
        await bot.send_message(USER, "Привет")
