"""The bot's routers, in the order they are tried: error handler first, fallback last."""

from __future__ import annotations

from aiogram import Router

from handlers import common, errors


def build_routers() -> list[Router]:
    return [errors.router, common.router]
