"""Outer middlewares: remember each user and their language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.i18n import language_of
from storage.repositories import UsersRepo


class UserRecordMiddleware(BaseMiddleware):
    def __init__(self, users: UsersRepo) -> None:
        self._users = users

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is not None and not user.is_bot:
            await self._users.upsert(user.id, language_of(user.language_code))
        return await handler(event, data)
