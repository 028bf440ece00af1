"""The conversations the bot holds, by name: their steps, what each step asks again when the user
strays, and how another part of the bot starts one.

A handler module adds its flow in `register()` and finds another's here by name instead of importing
its module: the order card's «Трек-номер» and «Перенести дату» (`oc:track:…`, `oc:date:…`) and the
morning digest's «Перенести дату» start /track and /date at their order step; «✏️ Другой трек-номер»
and «📅 Другая дата» under a refused write reopen their step that fixes it; /team's «Заменить ключ»
starts /settings. Input sent outside any conversation starts one here too (handlers/shortcuts.py): a
bare order number opens the order card (`enter_typed`), a label's photo starts /track for the order
on it (`take_label`). The fallback reads the re-ask prompts from here. One registry per router
(`handlers.build_router`), handed to handlers as `flows`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from bot.domain.records import Operation
from bot.services.access import Access
from bot.services.orders import OrdersService
from bot.telegram.i18n import Texts


class EnterAtOrder(Protocol):
    """Starts a flow at its order step, answered with `order_id` (as if the user had typed it)."""

    async def __call__(
        self,
        message: Message,
        state: FSMContext,
        t: Texts,
        access: Access,
        orders: OrdersService,
        order_id: int,
        /,
    ) -> None: ...


class EnterTyped(Protocol):
    """Starts a flow at its order step, answered with what the user typed outside any conversation:
    an order number, or the end of one of the orders the step lists."""

    async def __call__(
        self,
        message: Message,
        state: FSMContext,
        t: Texts,
        access: Access,
        orders: OrdersService,
        typed: str,
        /,
    ) -> None: ...


class TakeLabel(Protocol):
    """Starts a flow from a label's photo: the order on it (None: the order step asks which) and the
    track codes read off it (kept until the order is known)."""

    async def __call__(
        self,
        message: Message,
        state: FSMContext,
        t: Texts,
        access: Access,
        orders: OrdersService,
        order_id: int | None,
        codes: Sequence[str],
        /,
    ) -> None: ...


class Reopen(Protocol):
    """Reopens the one step of a flow that fixes a refused write (`operation`, the user's own), its
    other answers kept: the operation's order and the rest of what it set."""

    async def __call__(
        self,
        message: Message,
        state: FSMContext,
        t: Texts,
        access: Access,
        orders: OrdersService,
        operation: Operation,
        /,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    steps: type[StatesGroup]
    prompts: Mapping[State, str] = field(default_factory=dict)  # a step → the catalogue key it re-asks with
    enter_at_order: EnterAtOrder | None = None  # for flows about one order
    enter_typed: EnterTyped | None = None  # for flows about one order
    take_label: TakeLabel | None = None  # for the flow that sends track codes
    reopen: Reopen | None = None  # for flows whose answer the Market may refuse (a track code, a date)

    @property
    def first(self) -> State:
        """The step a new conversation of this flow starts at."""
        return self.steps.__states__[0]


class Flows:
    """The registry: flows by name, and the re-ask prompt of every step of theirs."""

    def __init__(self) -> None:
        self._flows: dict[str, Flow] = {}
        self._prompts: dict[str, str] = {}
        self._names: dict[str, str] = {}  # a step → the name of its flow

    def add(self, flow: Flow) -> None:
        if flow.name in self._flows:
            raise ValueError(f"the {flow.name} flow is already registered")
        strays = [step for step in flow.prompts if step not in flow.steps.__states__]
        if strays:
            raise ValueError(f"the {flow.name} flow has prompts for steps not its own: {strays}")
        self._flows[flow.name] = flow
        self._prompts |= {str(step.state): key for step, key in flow.prompts.items()}
        self._names |= {str(step.state): flow.name for step in flow.steps.__states__}

    def __getitem__(self, name: str) -> Flow:
        return self._flows[name]

    def prompt(self, state: str | None) -> str | None:
        """What the step `state` asks again with, when the user sends something it does not take."""
        return self._prompts.get(state) if state is not None else None

    def name_of(self, state: str | None) -> str | None:
        """The flow whose step `state` is."""
        return self._names.get(state) if state is not None else None

    def _hook(self, name: str, hook: str) -> Callable[..., Awaitable[None]]:
        """The flow `name`'s way in called `hook` (see `Flow`); LookupError if it has none."""
        found: Callable[..., Awaitable[None]] | None = getattr(self._flows[name], hook)
        if found is None:
            raise LookupError(f"the {name} flow has no {hook}")
        return found

    async def enter_at_order(
        self,
        name: str,
        message: Message,
        state: FSMContext,
        t: Texts,
        access: Access,
        orders: OrdersService,
        order_id: int,
    ) -> None:
        """Start the flow `name` at its order step, answered with `order_id`."""
        await self._hook(name, "enter_at_order")(message, state, t, access, orders, order_id)

    async def enter_typed(
        self,
        name: str,
        message: Message,
        state: FSMContext,
        t: Texts,
        access: Access,
        orders: OrdersService,
        typed: str,
    ) -> None:
        """Start the flow `name` at its order step, answered with `typed` (see `EnterTyped`)."""
        await self._hook(name, "enter_typed")(message, state, t, access, orders, typed)

    async def take_label(
        self,
        name: str,
        message: Message,
        state: FSMContext,
        t: Texts,
        access: Access,
        orders: OrdersService,
        order_id: int | None,
        codes: Sequence[str],
    ) -> None:
        """Start the flow `name` from a label's photo (see `TakeLabel`)."""
        await self._hook(name, "take_label")(message, state, t, access, orders, order_id, codes)

    async def reopen(
        self,
        name: str,
        message: Message,
        state: FSMContext,
        t: Texts,
        access: Access,
        orders: OrdersService,
        operation: Operation,
    ) -> None:
        """Reopen the step of the flow `name` that fixes the refused `operation`."""
        await self._hook(name, "reopen")(message, state, t, access, orders, operation)
