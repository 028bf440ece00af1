"""The bot's handlers, in the order they are tried: error handler first, fallback last.

Each module registers its handlers on one router, built fresh on request (so every dispatcher, one
per test, gets its own). One router, not one per module: aiogram wraps the middlewares again at every
router an update passes, which was the biggest cost of an update after the filters' thread hops.

Each conversation's module also adds its flow to `flows` (`bot.telegram.flows`), where the others find
it by name: this is the only module of the package that imports the others.
"""

from __future__ import annotations

from aiogram import Router

from bot.telegram.flows import Flows
from handlers import (
    alerts,
    bulk,
    chats,
    common,
    confirm,
    delivery_date,
    errors,
    fallback,
    follow_ups,
    history,
    order,
    settings,
    shop,
    shortcuts,
    team,
    track,
)


def build_router(flows: Flows | None = None) -> Router:
    """The bot's router; its flows go to `flows` (the dispatcher hands that registry to handlers)."""
    flows = Flows() if flows is None else flows
    router = Router(name="bot")
    for module in (
        errors,
        team,  # before common: `/start <invite>` is not the plain /start
        common,
        chats,  # before the conversations: a reply to a buyer's message answers the buyer at any step
        bulk,  # before the conversations: a list of several lines is taken at any step
        settings,
        shop,
        track,
        delivery_date,
        order,
        confirm,
        alerts,
        history,
        shortcuts,  # outside any conversation: a label's photo, an order number
        follow_ups,  # a line soon after an answer to a buyer, that nothing before took: offered to it
        fallback,
    ):
        module.register(router, flows)
    return router
