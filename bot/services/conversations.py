"""A conversation ends together with what it recorded: a service records an operation or a batch and,
in the same transaction, the conversation's draft is dropped (both happen, or neither). The Telegram
layer keeps conversations in aiogram's FSM storage; the one the bot runs on (storage/fsm.py) can clear
a conversation inside a service's transaction, which is all this module names."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, runtime_checkable

from storage.db import Executor

# Runs inside a service's transaction (e.g. `Operations.record(..., also=...)`).
InTransaction = Callable[[Executor], Awaitable[None]]


@runtime_checkable
class ClearsInTransaction(Protocol):
    """A conversation storage that can clear one conversation (`key`) inside a transaction."""

    async def clear_in(self, ex: Executor, key: Any) -> None: ...
