"""No handler or filter of the bot runs in a worker thread: aiogram hands anything that is not a
coroutine (a magic `F.…` filter, a State used as a filter, a plain function) to `asyncio.to_thread`,
one thread hop per check per update, which was most of an ordinary update's cost."""

from __future__ import annotations

from handlers import build_router


def test_every_handler_and_filter_is_awaited_on_the_event_loop() -> None:
    router = build_router()
    in_threads = [
        f"{name}: {handler.callback.__qualname__} / {type(f.callback).__name__}"
        for name, observer in router.observers.items()
        for handler in observer.handlers
        for f in [*(handler.filters or []), handler]
        if not f.awaitable
    ]
    assert in_threads == []
    assert len(router.message.handlers) > 20 and len(router.callback_query.handlers) > 20
