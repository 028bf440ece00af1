"""One conversation's answers so far, typed, pinned to the shop it started in.

Kept in the FSM data under `draft` (so it survives restarts). Only ids and what the user typed go
here, never a secret.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Annotated, Literal, Self, TypeAlias, TypeVar

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from bot.domain.clock import utcnow
from bot.domain.market_data import BusinessOrder, DeliveryDateReason, OrderStatus
from bot.domain.operations import AnyAction, DeliveryDate, StatusStep, TrackCode
from bot.domain.records import DeliveryServiceRef
from bot.domain.status_steps import is_pickup, step_after
from bot.services.bulk import ReadyLine
from bot.services.conversations import ClearsInTransaction, InTransaction

KEY = "draft"


class Pick(BaseModel):
    """An order offered as a button: its number, delivery day and first item, and whether it has a
    track code already (marked ✅, listed after those without one)."""

    id: int
    day: dt.date | None = None
    item: str = ""
    tracked: bool = False


class OrderDraft(BaseModel):
    """What every conversation about one order holds. Each flow's draft adds its own answers; a step
    changes a draft only through its typed transitions, each returning a new, validated draft."""

    model_config = ConfigDict(frozen=True)

    shop_id: int  # every step acts on this shop, whatever /shop says meanwhile
    order_id: int | None = None
    order_status: str | None = None  # the order's status when its card was shown
    nonce: str | None = None  # the confirmation card on screen
    picks: tuple[Pick, ...] = ()  # the orders offered at the order step, read once per conversation

    def listing(self, picks: Sequence[Pick]) -> Self:
        """The orders offered to pick from at the order step."""
        return self._with(picks=tuple(picks))

    def at_order(self, order: BusinessOrder) -> Self:
        """The order the user named (its card is on screen): what the next steps need of it."""
        return self._with(order_id=order.order_id, order_status=str(order.status))

    def confirming(self, nonce: str) -> Self:
        """The confirmation card shown under `nonce` (a press with another nonce is stale)."""
        return self._with(nonce=nonce)

    def action(self) -> AnyAction:
        """What confirming this draft sets on the order; ValueError while an answer is missing."""
        raise ValueError(f"{type(self).__name__} sets nothing")

    def service_names(self) -> dict[int, str]:
        """Names of delivery services the result's text may mention."""
        return {}

    def then(self) -> OrderStatus | None:
        """The status step the order takes next once this draft's write is done (offered under its
        result as «Дальше»), or None."""
        return None

    @property
    def cancels(self) -> bool:
        """Confirming this draft cancels the order (its card asks in those words)."""
        return False

    def _with(self, **changes: object) -> Self:
        """A copy with `changes`, validated as a stored draft is: a wrong name or value fails here."""
        unknown = changes.keys() - type(self).model_fields.keys()
        if unknown:
            raise TypeError(f"{type(self).__name__} has no {sorted(unknown)}")
        return self.model_validate({**dict(self), **changes})


class TrackDraft(OrderDraft):
    """/track: order → delivery service → track code → confirmation."""

    flow: Literal["track"] = "track"
    order_service_id: int | None = None  # the service the order names, offered first
    replaces: str | None = None  # the track code the order has now
    service_id: int | None = None
    service_name: str | None = None
    scanned: tuple[str, ...] = ()  # track codes read off a photo, offered as buttons
    label: tuple[str, ...] = ()  # codes read off a label sent before the order and service were known
    track_code: str | None = None

    def at_order(self, order: BusinessOrder) -> Self:
        return (
            super()
            .at_order(order)
            ._with(order_service_id=order.delivery_service_id, replaces=order.track_code)
        )

    def with_service(self, service: DeliveryServiceRef) -> Self:
        return self._with(service_id=service.id, service_name=service.name)

    def keeping_label(self, codes: Sequence[str]) -> Self:
        """Track codes read off a label photo sent outside the conversation: taken once the order
        (and its service) are known, instead of asking for the code."""
        return self._with(label=tuple(codes))

    def offering(self, codes: Sequence[str]) -> Self:
        """Several codes read off a photo, each a button."""
        return self._with(scanned=tuple(codes))

    def with_code(self, code: str) -> Self:
        return self._with(track_code=code, scanned=(), label=())

    def action(self) -> TrackCode:
        if self.track_code is None or self.service_id is None:
            raise ValueError("the track draft has no code or no service yet")
        return TrackCode(track_code=self.track_code, delivery_service_id=self.service_id)

    def service_names(self) -> dict[int, str]:
        return {self.service_id: self.service_name} if self.service_id and self.service_name else {}

    def then(self) -> OrderStatus | None:
        """A code for an order in processing: handed to delivery next."""
        return OrderStatus.DELIVERY if self.order_status == OrderStatus.PROCESSING.value else None


class DateDraft(OrderDraft):
    """/date: order → new delivery day → reason → confirmation."""

    flow: Literal["date"] = "date"
    current_date: dt.date | None = None  # the order's delivery day now (one day, not a range)
    to_date: dt.date | None = None
    reason: DeliveryDateReason | None = None

    def at_order(self, order: BusinessOrder) -> Self:
        dates = order.delivery.dates if order.delivery else None
        one_day = dates is not None and dates.to_date in (None, dates.from_date)
        return super().at_order(order)._with(current_date=dates.from_date if dates and one_day else None)

    def with_date(self, day: dt.date) -> Self:
        return self._with(to_date=day)

    def with_reason(self, reason: DeliveryDateReason) -> Self:
        return self._with(reason=reason)

    def action(self) -> DeliveryDate:
        if self.to_date is None or self.reason is None:
            raise ValueError("the date draft has no day or no reason yet")
        return DeliveryDate(to_date=self.to_date, reason=self.reason)


class StatusDraft(OrderDraft):
    """/order: the order card → a status step (→ the day it was delivered) → confirmation."""

    flow: Literal["status"] = "status"
    step: OrderStatus | None = None  # the status step the order card offers (or a cancellation)
    real_date: dt.date | None = None  # a delivery reported for a day before today
    pickup: bool = False  # the order goes to the shop's pickup point (a step between delivery and delivered)

    def at_order(self, order: BusinessOrder) -> Self:
        return super().at_order(order)._with(pickup=is_pickup(order))

    def with_step(self, step: OrderStatus | None) -> Self:
        return self._with(step=step)

    def delivered_on(self, real_date: dt.date | None) -> Self:
        """The day a delivery is reported for (None: today)."""
        return self._with(real_date=real_date)

    def action(self) -> StatusStep:
        if self.step is None:
            raise ValueError("the status draft has no step yet")
        return StatusStep(status=self.step, real_delivery_date=self.real_date)

    def then(self) -> OrderStatus | None:
        return step_after(self.step, pickup=self.pickup) if self.step is not None else None

    @property
    def cancels(self) -> bool:
        return self.step is OrderStatus.CANCELLED


# One conversation's draft, told apart by `flow`. A draft a previous version stored loads when its
# flow's fields still read the same (extra fields are ignored); otherwise `draft_of` drops it.
Draft: TypeAlias = Annotated[TrackDraft | DateDraft | StatusDraft, Field(discriminator="flow")]
_DRAFT: TypeAdapter[Draft] = TypeAdapter(Draft)
D = TypeVar("D", bound=OrderDraft)


class BulkDraft(BaseModel):
    """A bulk send's preview on screen: the lines ready to go, under the preview's nonce."""

    shop_id: int
    nonce: str
    lines: list[ReadyLine]
    checked_at: dt.datetime | None = None  # when the preview was checked (see `BulkSends.record`)


BULK_KEY = "bulk"


async def load_bulk(state: FSMContext) -> BulkDraft | None:
    raw = (await state.get_data()).get(BULK_KEY)
    try:
        return BulkDraft.model_validate(raw) if raw is not None else None
    except ValidationError:
        return None


async def save_bulk(state: FSMContext, draft: BulkDraft) -> None:
    await state.set_data({BULK_KEY: draft.model_dump(mode="json"), **await _aside(state)})


class ChatDraft(BaseModel):
    """The reply step open on a buyer's chat: what the user sends next goes there. It opens over any
    conversation (`resume`: the step it was at, whose answers stay in the FSM data) and, once the
    answer went, hands back to that step."""

    shop_id: int
    chat_id: int
    order_id: int | None = None
    resume: str | None = None
    step: str | None = None  # the reply step's own state


CHAT_KEY = "chat"
# Beside any conversation: the chat the user answered last (with until when a line meaning nothing
# else is offered to it), the album whose first photo went to a chat, a line waiting for «Отправить».
LAST_CHAT_KEY = "chat_last"
ALBUM_KEY = "chat_album"
PENDING_KEY = "chat_pending"
ASIDE_KEYS = (LAST_CHAT_KEY, ALBUM_KEY, PENDING_KEY)


class ChatAside(BaseModel):
    """A chat kept beside the conversation under one of the keys above."""

    shop_id: int
    chat_id: int
    order_id: int | None = None
    group: str | None = None  # ALBUM_KEY: the album
    until: dt.datetime | None = None  # LAST_CHAT_KEY: offered until then
    message_id: int | None = None  # PENDING_KEY: the line waiting ...
    text: str | None = None  # ... and its text


async def load_aside(state: FSMContext, key: str) -> ChatAside | None:
    raw = (await state.get_data()).get(key)
    try:
        return ChatAside.model_validate(raw) if raw is not None else None
    except ValidationError:
        return None


FOLLOW_UP = dt.timedelta(minutes=10)  # after an answer, a line meaning nothing else is offered to the chat
PENDING_KEPT = 5  # lines waiting for «Отправить» at once (the oldest is dropped)


async def remember_answer(state: FSMContext, answered: ChatAside, album: str | None = None) -> None:
    """The chat just answered: the rest of an album follows to it; a line that means nothing else
    soon after is offered to it (handlers.follow_ups)."""
    data = {
        LAST_CHAT_KEY: answered.model_copy(update={"until": utcnow() + FOLLOW_UP}).model_dump(mode="json")
    }
    if album is not None:
        data[ALBUM_KEY] = answered.model_copy(update={"group": album}).model_dump(mode="json")
    await state.update_data(data)


async def add_pending(state: FSMContext, line: ChatAside) -> None:
    """A line waiting for its «Отправить» (a few at once, each with its own buttons)."""
    pending = dict((await state.get_data()).get(PENDING_KEY) or {})
    pending[str(line.message_id)] = line.model_dump(mode="json")
    await state.update_data({PENDING_KEY: dict(list(pending.items())[-PENDING_KEPT:])})


async def take_pending(state: FSMContext, message_id: int) -> ChatAside | None:
    """The waiting line, no longer waiting (None: gone, or never was)."""
    pending = dict((await state.get_data()).get(PENDING_KEY) or {})
    raw = pending.pop(str(message_id), None)
    await state.update_data({PENDING_KEY: pending})
    try:
        return ChatAside.model_validate(raw) if raw is not None else None
    except ValidationError:
        return None


async def load_chat(state: FSMContext) -> ChatDraft | None:
    raw = (await state.get_data()).get(CHAT_KEY)
    try:
        return ChatDraft.model_validate(raw) if raw is not None else None
    except ValidationError:
        return None


async def open_chat_step(state: FSMContext, step: State, draft: ChatDraft) -> None:
    """The reply step opens over whatever conversation is open (it is kept to go back to)."""
    current = await state.get_state()
    before = await load_chat(state) if current == step.state else None
    resume = before.resume if before is not None else current
    await state.set_state(step)
    opened = draft.model_copy(update={"resume": resume, "step": step.state})
    await state.update_data({CHAT_KEY: opened.model_dump(mode="json")})


async def open_reply(state: FSMContext) -> ChatDraft | None:
    """The reply step, when it is the step open now."""
    draft = await load_chat(state)
    return draft if draft is not None and draft.step == await state.get_state() else None


async def reopen_reply(state: FSMContext, draft: ChatDraft) -> None:
    """The reply step stays open after the conversation under it ended (its card was confirmed)."""
    if draft.step is None:
        return
    await state.set_state(draft.step)
    await state.update_data({CHAT_KEY: draft.model_copy(update={"resume": None}).model_dump(mode="json")})


async def close_chat_step(state: FSMContext) -> str | None:
    """The reply step ends: back to the step it opened over (returned), or to no conversation."""
    draft = await load_chat(state)
    resume = draft.resume if draft is not None else None
    if resume is None:
        await state.clear()
        return None
    data = await state.get_data()
    data.pop(CHAT_KEY, None)
    await state.set_data(data)
    await state.set_state(resume)
    return resume


def draft_of(data: dict[str, object]) -> Draft | None:
    raw = data.get(KEY)
    if raw is None:
        return None
    try:
        return _DRAFT.validate_python(raw)
    except ValidationError:
        return None  # written by an older version: the conversation starts over


def cleared_with(state: FSMContext) -> InTransaction | None:
    """Ends the conversation inside a caller's transaction (with the SQLite FSM storage), so that
    recording an operation and dropping its draft happen together or not at all."""
    storage = state.storage
    if isinstance(storage, ClearsInTransaction):
        return functools.partial(storage.clear_in, key=state.key)
    return None


async def load_draft(state: FSMContext) -> Draft | None:
    return draft_of(await state.get_data())


async def save_draft(state: FSMContext, draft: OrderDraft) -> None:
    """The conversation's draft, in place of whatever conversation was there (what is kept beside
    conversations stays: the chat last answered, a line waiting for «Отправить»)."""
    await state.set_data({KEY: draft.model_dump(mode="json"), **await _aside(state)})


async def _aside(state: FSMContext) -> dict[str, object]:
    data = await state.get_data()
    return {key: data[key] for key in ASIDE_KEYS if key in data}


async def current_draft(state: FSMContext, kind: type[D]) -> D:
    """The draft of a conversation step, of the flow the step belongs to (the access check has
    already found a draft; one of another flow here is a bug)."""
    draft = await load_draft(state)
    if isinstance(draft, kind):
        return draft
    raise LookupError(f"a conversation step ran without its {kind.__name__}")
