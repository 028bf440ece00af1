"""The Bot API session: aiogram's aiohttp session, sending a call without files as a JSON body.

aiogram sends every call as an HTML form, percent-encoding each value: a reply of a few hundred
Cyrillic characters (/help, an order card) becomes several kilobytes, and encoding it costs more CPU
than the rest of the call. The Bot API takes the same parameters as JSON (UTF-8); a call with files
(none today) still goes as a form.

Only the body is ours: aiogram's `make_request` still posts it, maps timeouts and connection errors
to `TelegramNetworkError` and Telegram's answers to its exceptions (`check_response`), so the
bot's error handling sees what aiogram documents.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiohttp import FormData, JsonPayload


class JsonSession(AiohttpSession):
    # aiogram types the body as a form, but only hands it to aiohttp's `post(data=...)`, which takes
    # any payload.
    def build_form_data(  # type: ignore[override]
        self, bot: Bot, method: TelegramMethod[TelegramType]
    ) -> FormData | JsonPayload:
        files: dict[str, Any] = {}
        body = {
            key: prepared
            for key, value in method.model_dump(warnings=False).items()
            if (prepared := self.prepare_value(value, bot=bot, files=files, _dumps_json=False)) is not None
        }
        if files:
            return super().build_form_data(bot, method)
        return JsonPayload(body, dumps=self.json_dumps)
