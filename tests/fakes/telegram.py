"""A fake Telegram Bot API server on 127.0.0.1 (the subset aiogram's polling bot uses).

Tests push updates with `push_message` / `push_callback`; the bot fetches them with getUpdates long
polling. Every method call is recorded; messages the bot sends are kept per chat.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast
from unittest import mock

from aiogram import Bot
from aiogram.client.session import aiohttp as aiogram_aiohttp
from aiogram.client.session.aiohttp import AiohttpSession
from aiohttp import web

from bot.app import build_bot
from tests.fakes.serve import serve

BOT_ID = 123456
BOT_USERNAME = "dbs_helper_bot"
JSON_FIELDS = {"reply_markup", "commands", "scope", "allowed_updates", "entities", "link_preview_options"}
INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "user_id"}


def user(user_id: int, language: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Tester", "language_code": language}


def message(user_id: int, text: str | None, message_id: int, language: str, **extra: Any) -> dict[str, Any]:
    """A private message from a user; `text=None` with extra fields makes a photo, sticker, ..."""
    msg: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "Tester"},
        "from": user(user_id, language),
    }
    msg.update(extra)
    if text is not None:
        msg["text"] = text
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return msg


def callback_query(user_id: int, data: str, *, message_id: int, language: str) -> dict[str, Any]:
    return {
        "id": f"cb{next(_callback_ids)}",
        "from": user(user_id, language),
        "chat_instance": "ci",
        "data": data,
        "message": {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Tester"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "DBS helper"},
            "text": "…",
        },
    }


_callback_ids = itertools.count(1)


def keyboard(params: dict[str, Any]) -> list[tuple[str, str]]:
    """The inline buttons of a sent message: (text, callback_data)."""
    markup = params.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


def find_button(calls: list[Call], text_part: str) -> tuple[str, int]:
    """The callback data and message id of the newest button whose text contains `text_part`."""
    for call in reversed(calls):
        for text, data in keyboard(call.params):
            if text_part in text:
                sent = call.result if isinstance(call.result, dict) else {}
                return data, int(call.params.get("message_id") or sent.get("message_id") or 1)
    raise AssertionError(f"no button with {text_part!r} in {[keyboard(c.params) for c in calls]}")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    content_type: str = ""  # how the bot sent it: application/json, or multipart/form-data with files
    delivered: tuple[int, ...] = ()  # getUpdates: the updates it handed out
    result: Any = None  # what the fake answered (a sent message, with its id)


def _says_something(call: Call) -> bool:
    """A reply the user sees. Deleting their message, «typing…» or a silent answer to a press comes
    before the real answer (which may wait on the Market), so none ends an exchange."""
    if call.method in ("deleteMessage", "sendChatAction"):
        return False
    return call.method != "answerCallbackQuery" or bool(call.params.get("text"))


@dataclass
class FakeTelegram:
    token: str = f"{BOT_ID}:AAH-fake-token-for-tests-only_0123456789"
    calls: list[Call] = field(default_factory=list)
    url: str = ""
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _runner: web.AppRunner | None = None
    failures: list[tuple[str, int, str]] = field(default_factory=list)  # (method, status, description)
    _callback_users: dict[str, int] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)  # file_id → content, for getFile
    webhook_url: str = ""  # what setWebhook set (getWebhookInfo tells it, deleteWebhook clears it)

    def add_file(self, content: bytes) -> str:
        """A file users can send (a photo, a document); returns its file_id."""
        file_id = f"file{len(self.files) + 1}"
        self.files[file_id] = content
        return file_id

    def fail(self, method: str, status: int, description: str, times: int = 1) -> None:
        """The next `times` calls of `method` get this error (the call is still recorded)."""
        self.failures.extend([(method, status, description)] * times)

    async def start(self, port: int = 0) -> str:
        """Listen on `port` (a free one by default; the same one again after `stop`, as a Telegram
        that was unreachable comes back)."""
        app = web.Application()
        app.router.add_route("POST", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path}", self._download)
        self._runner, self.url = await serve(app, port)
        return self.url

    async def stop(self) -> None:
        self._new_update.set()
        if self._runner:
            await self._runner.cleanup()

    # --- what the test does ----------------------------------------------------------------
    def push_message(self, user_id: int, text: str, *, language: str = "ru", **extra: Any) -> int:
        """A user's message (`extra`: more of its fields, such as `reply_to_message`)."""
        update_id = next(self._update_ids)
        msg = message(user_id, text, next(self._message_ids), language, **extra)
        self._updates.append({"update_id": update_id, "message": msg})
        self._new_update.set()
        return update_id

    def push_callback(self, user_id: int, data: str, *, message_id: int = 1, language: str = "ru") -> int:
        update_id = next(self._update_ids)
        query = callback_query(user_id, data, message_id=message_id, language=language)
        self._callback_users[query["id"]] = user_id
        self._updates.append({"update_id": update_id, "callback_query": query})
        self._new_update.set()
        return update_id

    def sent(self, method: str, chat_id: int | None = None) -> list[dict[str, Any]]:
        return [
            c.params
            for c in self.calls
            if c.method == method and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)
        ]

    async def exchange(
        self,
        push: int,
        *,
        chat_id: int | None = None,
        quiet: float = 0.3,
        timeout: float = 15.0,
        done: Callable[[], Awaitable[bool]] | None = None,
    ) -> list[Call]:
        """After pushing update `push`: wait for the bot to take it and reply, then for quiet; or, with
        `done`, until `done()` says the bot has handled it (as its /metrics tell: no guessing).

        Returns the calls the bot made in reply (anything but getUpdates), only those for `chat_id`
        (its messages and the answers to its button presses) when given.
        """
        start = len(self.calls)
        deadline = time.monotonic() + timeout
        last_count, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            replies = self.replies(start, chat_id)
            if done is not None:
                if await done():
                    return self.replies(start, chat_id)
            elif len(replies) != last_count:
                last_count, last_change = len(replies), time.monotonic()
            elif any(map(_says_something, replies)) and time.monotonic() - last_change >= quiet:
                taken = any(
                    c.method == "getUpdates" and int(c.params.get("offset", 0) or 0) > push
                    for c in self.calls[start:]
                )
                if taken:
                    return replies
            await asyncio.sleep(0.02)
        raise AssertionError(f"no reply to update {push} within {timeout}s")

    def replies(self, since: int, chat_id: int | None) -> list[Call]:
        return [c for c in self.calls[since:] if c.method != "getUpdates" and self._for(c, chat_id)]

    def delivered(self, since: int = 0) -> set[int]:
        """The updates getUpdates has handed out since call number `since` (to the bot started then)."""
        return {u for c in self.calls[since:] if c.method == "getUpdates" for u in c.delivered}

    def _for(self, call: Call, chat_id: int | None) -> bool:
        if chat_id is None:
            return True
        if "chat_id" in call.params:
            return int(call.params["chat_id"]) == chat_id
        return self._callback_users.get(str(call.params.get("callback_query_id"))) == chat_id

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [c for c in self.calls if c.method == method]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.02)
        raise AssertionError(f"bot did not call {method} {count} time(s) in {timeout}s: {self.calls}")

    # --- the Bot API -----------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params, request.content_type)
        self.calls.append(call)
        failure = next((f for f in self.failures if f[0] == method), None)
        if failure is not None:
            self.failures.remove(failure)
            body: dict[str, Any] = {"ok": False, "error_code": failure[1], "description": failure[2]}
            if failure[1] == 429:  # Telegram says how long to wait, e.g. "retry after 7"
                body["parameters"] = {"retry_after": int(failure[2].rsplit(" ", 1)[-1])}
            return web.json_response(body, status=failure[1])
        if method == "getUpdates":
            updates = await self._get_updates(params)
            call.delivered = tuple(u["update_id"] for u in updates)
            return web.json_response({"ok": True, "result": updates})
        call.result = self._result(method, params)
        return web.json_response({"ok": True, "result": call.result})

    async def _download(self, request: web.Request) -> web.Response:
        self.calls.append(Call("download", {"path": request.match_info["path"]}))
        content = self.files.get(request.match_info["path"])
        if request.match_info["token"] != self.token or content is None:
            return web.Response(status=404)
        return web.Response(body=content)

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        """The call's parameters as Telegram reads them: a JSON body (the bot's calls), or a form (a
        call with files: multipart, each file a part its parameter names as `attach://<part>`;
        here the parameter holds the file's bytes)."""
        if request.content_type == "application/json":
            data: dict[str, Any] = await request.json()
            return data
        form = await request.post()
        files = {key: value.file.read() for key, value in form.items() if isinstance(value, web.FileField)}
        params: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                continue
            text = value if isinstance(value, str) else value.decode()
            if text.startswith("attach://"):
                params[key] = files[text.removeprefix("attach://")]
            elif key in JSON_FIELDS:
                params[key] = json.loads(text)
            elif key in INT_FIELDS:
                params[key] = int(text)
            else:
                params[key] = text
        return params

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0) or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            self._new_update.clear()
            timeout = float(params.get("timeout", 0) or 0)
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout=min(timeout, 1.0))
            except TimeoutError:
                return []
        return list(self._updates)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "DBS helper",
                "username": BOT_USERNAME,
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "getWebhookInfo":
            return {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": 0}
        if method in ("setWebhook", "deleteWebhook"):
            self.webhook_url = str(params.get("url", "")) if method == "setWebhook" else ""
            return True
        if method == "getFile":
            file_id = str(params.get("file_id"))
            size = len(self.files.get(file_id, b""))
            return {"file_id": file_id, "file_unique_id": file_id, "file_size": size, "file_path": file_id}
        if method in ("sendMessage", "editMessageText"):
            return {**self._sent_message(params), "text": params.get("text", "")}
        if method == "sendDocument":
            document = {"file_id": "sent", "file_unique_id": "sent", "file_size": len(params["document"])}
            return {**self._sent_message(params), "document": document, "caption": params.get("caption")}
        if method == "sendPhoto":
            size = len(params["photo"]) if isinstance(params.get("photo"), bytes) else 0
            photo = [
                {"file_id": "sent", "file_unique_id": "sent", "width": 1, "height": 1, "file_size": size}
            ]
            return {**self._sent_message(params), "photo": photo}
        return True

    def _sent_message(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "message_id": int(params.get("message_id") or next(self._message_ids)),
            "date": int(time.time()),
            "chat": {"id": int(params.get("chat_id", 0)), "type": "private", "first_name": "Tester"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "DBS helper"},
        }


_SHARED_TLS_CONTEXT = ssl.create_default_context()


def _shared_tls_context(**_: object) -> ssl.SSLContext:
    return _SHARED_TLS_CONTEXT


def bot_for(telegram: FakeTelegram) -> Bot:
    """The bot production builds (`bot.app.build_bot`: its JSON session, its default properties),
    pointed at the fake server as TELEGRAM_API_URL points it at another Bot API server."""
    # aiogram builds a TLS context per session (~20 ms of loading CA certificates); plain HTTP to the
    # fake server needs none, so every test's bot shares one.
    with mock.patch.object(aiogram_aiohttp.ssl, "create_default_context", _shared_tls_context):  # type: ignore[attr-defined]
        return build_bot(telegram.token, telegram.url)


async def close(bot: Bot) -> None:
    """Close the bot's connections to the fake server. Not `bot.session.close()`, which then waits
    250 ms for TLS connections to shut down: the fake speaks plain HTTP (a quarter of a second saved
    per test)."""
    connections = cast(AiohttpSession, bot.session)._session
    if connections is not None:
        await connections.close()


def photo(file_id: str, size: int, width: int = 1920, height: int = 2560) -> dict[str, Any]:
    """The `photo` field of a message: Telegram sends the sizes smallest first."""
    return {
        "photo": [
            {"file_id": f"{file_id}-thumb", "file_unique_id": "t", "width": 90, "height": 120},
            {"file_id": file_id, "file_unique_id": "p", "width": width, "height": height, "file_size": size},
        ]
    }


def document(file_id: str, size: int, name: str, mime: str) -> dict[str, Any]:
    """The `document` field of a message: a file sent as a file."""
    return {
        "document": {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": name,
            "mime_type": mime,
            "file_size": size,
        }
    }
