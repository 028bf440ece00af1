"""Every handler that takes `access` or `card` declares `flags=requires(...)` where it is registered:
only then does AccessMiddleware resolve them (and refuse whoever may not). Without the flag such a
handler would fail on its first update with a missing argument, or, if it defaulted it, act without
the check."""

from __future__ import annotations

import inspect

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.services.access import Access
from bot.telegram.access import FLAG, requires
from handlers import build_router

RESOLVED = {"access", "card"}  # what AccessMiddleware hands to a handler
CHECKED = {"message", "callback_query"}  # the observers it is installed on (bot.app.create_dispatcher)


def unchecked_handlers(router: Router) -> list[str]:
    """The handlers in `router` and its sub-routers that take what only AccessMiddleware gives
    without declaring what they need, or are registered where it does not run."""
    found = []
    for each in (router, *_descendants(router)):
        for name, observer in each.observers.items():
            for handler in observer.handlers:
                takes = RESOLVED & set(inspect.signature(handler.callback).parameters)
                if not takes:
                    continue
                where = f"{each.name}.{name}: {handler.callback.__qualname__} takes {sorted(takes)}"
                if FLAG not in handler.flags:
                    found.append(f"{where} without requires(...)")
                elif name not in CHECKED:
                    found.append(f"{where} where the access check does not run")
    return found


def _descendants(router: Router) -> list[Router]:
    return [sub for child in router.sub_routers for sub in (child, *_descendants(child))]


def test_every_handler_taking_access_or_card_declares_what_it_requires() -> None:
    router = build_router()
    assert unchecked_handlers(router) == []
    declared = [h for observer in router.observers.values() for h in observer.handlers if FLAG in h.flags]
    assert len(declared) > 20, "the walk sees the bot's handlers"


async def show(message: Message, access: Access) -> None: ...


async def on_button(query: CallbackQuery, card: Message) -> None: ...


def test_a_handler_without_its_declaration_is_found() -> None:
    """The check can fail: a handler registered without requires(...), one taking `card` on a
    sub-router, and one declared on an observer the middleware does not watch."""
    router, sub = Router(name="top"), Router(name="sub")
    router.message.register(show, Command("ok"), flags=requires())
    router.message.register(show, Command("team"))
    sub.callback_query.register(on_button, F.data == "x")
    router.edited_message.register(show, flags=requires())
    router.include_router(sub)
    assert unchecked_handlers(router) == [
        "top.message: show takes ['access'] without requires(...)",
        "top.edited_message: show takes ['access'] where the access check does not run",
        "sub.callback_query: on_button takes ['card'] without requires(...)",
    ]
