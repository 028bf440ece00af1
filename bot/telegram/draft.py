"""One conversation's answers so far, typed, pinned to the shop it started in.

Kept in the FSM data under `draft` (so it survives restarts). Only ids and what the user typed go
here, never a secret.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable
from typing import Literal

from aiogram.fsm.context import FSMContext
from pydantic import BaseModel, ValidationError

from bot.domain.market_data import DeliveryDateReason, OrderStatus
from bot.domain.operations import AnyAction, DeliveryDate, StatusStep, TrackCode
from bot.services.bulk import ReadyLine
from storage.db import Executor
from storage.fsm import SQLiteStorage

KEY = "draft"


class Pick(BaseModel):
    """An order offered as a button: its number, delivery day and first item."""

    id: int
    day: dt.date | None = None
    item: str = ""


class Draft(BaseModel):
    flow: Literal["track", "date", "status"]
    shop_id: int  # every step acts on this shop, whatever /shop says meanwhile
    order_id: int | None = None
    service_id: int | None = None
    service_name: str | None = None
    order_service_id: int | None = None  # the service the order names, offered first
    replaces: str | None = None  # the track code the order has now
    track_code: str | None = None
    to_date: dt.date | None = None
    reason: DeliveryDateReason | None = None
    nonce: str | None = None  # the confirmation card on screen
    picks: list[Pick] = []  # the orders offered at the order step, read once per conversation
    scanned: list[str] = []  # track codes read off a photo, offered as buttons
    step: OrderStatus | None = None  # the status step the order card offers
    order_status: str | None = None  # the order's status when its card was shown
    real_date: dt.date | None = None  # a delivery reported for a day before today

    def action(self) -> AnyAction:
        """What confirming this draft sets on the order."""
        if self.flow == "track" and self.track_code is not None and self.service_id is not None:
            return TrackCode(track_code=self.track_code, delivery_service_id=self.service_id)
        if self.flow == "date" and self.to_date is not None and self.reason is not None:
            return DeliveryDate(to_date=self.to_date, reason=self.reason)
        if self.flow == "status" and self.step is not None:
            return StatusStep(status=self.step, real_delivery_date=self.real_date)
        raise ValueError(f"the {self.flow} draft is not complete")

    def service_names(self) -> dict[int, str]:
        return {self.service_id: self.service_name} if self.service_id and self.service_name else {}


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
    await state.set_data({BULK_KEY: draft.model_dump(mode="json")})


def draft_of(data: dict[str, object]) -> Draft | None:
    raw = data.get(KEY)
    if raw is None:
        return None
    try:
        return Draft.model_validate(raw)
    except ValidationError:
        return None  # written by an older version: the conversation starts over


def cleared_with(state: FSMContext) -> Callable[[Executor], Awaitable[None]] | None:
    """Ends the conversation inside a caller's transaction (with the SQLite FSM storage), so that
    recording an operation and dropping its draft happen together or not at all."""
    storage = state.storage
    if isinstance(storage, SQLiteStorage):
        return functools.partial(storage.clear_in, key=state.key)
    return None


async def load_draft(state: FSMContext) -> Draft | None:
    return draft_of(await state.get_data())


async def save_draft(state: FSMContext, draft: Draft) -> None:
    await state.set_data({KEY: draft.model_dump(mode="json")})
