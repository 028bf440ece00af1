"""The conversations the bot holds, by name: their steps, what each step asks again when the user
strays, and how another part of the bot starts one.

A handler module adds its flow in `register()` and finds another's here by name instead of importing
its module: the order card's «Трек-номер» and «Перенести дату» (`oc:track:…`, `oc:date:…`) and the
morning digest's «Перенести дату» start /track and /date at their order step; /team's «Заменить ключ»
starts /settings. The fallback reads the re-ask prompts from here. One registry per router
(`handlers.build_router`), handed to handlers as `flows`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

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


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    steps: type[StatesGroup]
    prompts: Mapping[State, str] = field(default_factory=dict)  # a step → the catalogue key it re-asks with
    enter_at_order: EnterAtOrder | None = None  # for flows about one order

    @property
    def first(self) -> State:
        """The step a new conversation of this flow starts at."""
        return self.steps.__states__[0]


class Flows:
    """The registry: flows by name, and the re-ask prompt of every step of theirs."""

    def __init__(self) -> None:
        self._flows: dict[str, Flow] = {}
        self._prompts: dict[str, str] = {}

    def add(self, flow: Flow) -> None:
        if flow.name in self._flows:
            raise ValueError(f"the {flow.name} flow is already registered")
        strays = [step for step in flow.prompts if step not in flow.steps.__states__]
        if strays:
            raise ValueError(f"the {flow.name} flow has prompts for steps not its own: {strays}")
        self._flows[flow.name] = flow
        self._prompts |= {str(step.state): key for step, key in flow.prompts.items()}

    def __getitem__(self, name: str) -> Flow:
        return self._flows[name]

    def prompt(self, state: str | None) -> str | None:
        """What the step `state` asks again with, when the user sends something it does not take."""
        return self._prompts.get(state) if state is not None else None

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
        enter = self._flows[name].enter_at_order
        if enter is None:
            raise LookupError(f"the {name} flow does not start from an order")
        await enter(message, state, t, access, orders, order_id)
