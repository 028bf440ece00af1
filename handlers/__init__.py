"""The bot's routers, in the order they are tried: error handler first, fallback last.

Each module builds a fresh router on request, so every dispatcher (one per test) gets its own.
"""

from __future__ import annotations

from aiogram import Router

from handlers import (
    alerts,
    bulk,
    common,
    confirm,
    delivery_date,
    errors,
    fallback,
    history,
    order,
    settings,
    shop,
    team,
    track,
)


def build_routers() -> list[Router]:
    return [
        errors.create_router(),
        team.create_router(),  # before common: `/start <invite>` is not the plain /start
        common.create_router(),
        bulk.create_router(),  # before the conversations: a list of several lines is taken at any step
        settings.create_router(),
        shop.create_router(),
        track.create_router(),
        delivery_date.create_router(),
        order.create_router(),
        confirm.create_router(),
        alerts.create_router(),
        history.create_router(),
        fallback.create_router(),
    ]
