"""/track: order number → order card → delivery service → track code → confirmation (→ handlers.confirm).

At the track-code step a photo of the parcel label (or an image sent as a file) works as well as
typing: the barcodes on it are read and the one that looks most like the service's track code is
taken; when several could be, each is a button.

A label's photo sent outside any conversation starts here too (`take_label`, through the flows
registry): the order on it is taken, with the order's own service, and its code goes straight to the
confirmation; with no order of the shop on it, the order step asks which, keeping the code.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from aiogram import Bot, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.domain.errors import Refused
from bot.domain.market_data import TRACK_ALLOWED_STATUSES
from bot.domain.operations import TrackCode
from bot.domain.parsing import (
    TRACK_CODE_MAX,
    match_services,
    parse_track_code,
    written_differently,
)
from bot.domain.records import DeliveryServiceRef, Operation
from bot.domain.track_codes import Scanned, rank_track_codes
from bot.services.access import Access
from bot.services.barcodes import BarcodeReader
from bot.services.orders import OrdersService
from bot.telegram.access import requires
from bot.telegram.confirm import ask_to_confirm
from bot.telegram.draft import TrackDraft, current_draft, save_draft
from bot.telegram.files import picture_of
from bot.telegram.filters import picture, plain_text
from bot.telegram.flows import Flow, Flows
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons, paged
from bot.telegram.order_steps import (
    OrderFlow,
    add_order_flow,
    begin,
    start_at_order_step,
    take_order,
)
from bot.telegram.views import clip

PAGE_SIZE = 6
MAX_MATCHES = 8
TEXT = plain_text
PICTURE = picture


class TrackSG(StatesGroup):
    order_id = State()
    service = State()
    track_code = State()
    confirm = State()


FLOW = OrderFlow(
    draft=TrackDraft,
    order_state=TrackSG.order_id,
    ask_key="track-ask-order",
    again_key="track-ask-order-again",
    refused_key="track-status-not-allowed",
    statuses=tuple(sorted(TRACK_ALLOWED_STATUSES)),
    allowed=lambda order: order.can_take_track,
    services_on_card=True,
)


class ServiceCD(CallbackData, prefix="sv"):
    id: int


class ServicePageCD(CallbackData, prefix="svp"):
    page: int


class ScannedCD(CallbackData, prefix="sc"):
    """One of the track codes read off a photo: its place in the draft's `scanned` list."""

    index: int


async def on_order_id(
    message: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
    text: str | None = None,
) -> None:
    draft, card, _ = await take_order(message, text, state, t, access, orders, FLOW)
    services = await orders.services(access, draft.order_service_id)
    own = next((s for s in services if s.id == draft.order_service_id), None)
    if draft.label and own is not None:  # codes read off its label: they go with the order's service
        await _codes_from_label(message, state, t, draft.with_service(own), card)
        return
    await state.set_state(TrackSG.service)
    keyboard = service_page(t, services, 0, draft.order_service_id)
    await message.answer(card + "\n\n" + t("track-ask-service"), reply_markup=keyboard)


async def take_label(
    message: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
    order_id: int | None,
    codes: Sequence[str],
) -> None:
    """A label's photo sent outside any conversation: /track for the order on it (`order_id`), or,
    with none of the shop's orders on it, the order step asking which; the `codes` read off it are
    kept until the order and its service are known."""
    if order_id is not None:
        await start_at_order_step(state, FLOW, access.shop_id)
        await save_draft(state, TrackDraft(shop_id=access.shop_id).keeping_label(codes))
        await on_order_id(message, state, t, access, orders, text=str(order_id))
        return
    read = t("scan-read", code=codes[0]) + "\n" if len(codes) == 1 else ""
    await message.answer(read + t("scan-ask-order"))
    await begin(message, None, state, t, access, orders, FLOW)
    await save_draft(state, (await current_draft(state, TrackDraft)).keeping_label(codes))


async def _codes_from_label(
    message: Message, state: FSMContext, t: Texts, draft: TrackDraft, card: str | None = None
) -> None:
    """The codes kept from a label, now that the order and the service are known: the one that fits
    goes to the confirmation card; several are buttons, as at the track-code step."""
    codes = rank_track_codes((Scanned(c, "") for c in draft.label), draft.service_name or "", draft.order_id)
    draft = draft.keeping_label(())
    await state.set_state(TrackSG.track_code)
    above = card + "\n\n" if card else ""
    if len(codes) == 1:
        await _confirm_code(message, state, t, draft, codes[0], scanned=True, above=card)
    elif codes:
        await save_draft(state, draft.offering(codes))
        shown = [(code, ScannedCD(index=n)) for n, code in enumerate(codes)]
        await message.answer(above + t("scan-several", count=len(codes)), reply_markup=buttons(shown))
    else:  # what was read is the order's own number: the code is typed
        await save_draft(state, draft)
        await message.answer(above + t("track-ask-code", service=draft.service_name))


async def on_service_page(
    query: CallbackQuery,
    callback_data: ServicePageCD,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
) -> None:
    first = (await current_draft(state, TrackDraft)).order_service_id
    services = await orders.services(access, first)
    await card.edit_reply_markup(reply_markup=service_page(t, services, callback_data.page, first))


async def on_service_button(
    query: CallbackQuery,
    callback_data: ServiceCD,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
) -> None:
    chosen = next((s for s in await orders.services(access) if s.id == callback_data.id), None)
    if chosen is None:
        raise Refused("stale-button")
    await _ask_track_code(card, state, t, chosen)


async def on_service_text(
    message: Message, state: FSMContext, t: Texts, access: Access, orders: OrdersService
) -> None:
    services = await orders.services(access)
    typed = unicodedata.normalize("NFKC", message.text or "").strip()
    if (
        not services and typed.isascii() and typed.isdigit()
    ):  # the reference is unavailable: take the id as typed
        services = [DeliveryServiceRef(id=int(typed), name=typed)]
    matches = match_services(typed, services)
    if len(matches) == 1:
        await _ask_track_code(message, state, t, matches[0])
    elif not matches:
        await message.answer(t("service-not-found"), reply_markup=service_page(t, services, 0))
    else:
        shown = [(s.name, ServiceCD(id=s.id)) for s in matches[:MAX_MATCHES]]
        await message.answer(t("service-several"), reply_markup=buttons(shown))


async def on_track_code(message: Message, state: FSMContext, t: Texts) -> None:
    code = parse_track_code(message.text)
    await _confirm_code(message, state, t, await current_draft(state, TrackDraft), code, typed=message.text)


async def on_track_picture(
    message: Message, bot: Bot, state: FSMContext, t: Texts, barcodes: BarcodeReader
) -> None:
    draft = await current_draft(state, TrackDraft)
    scanned = await barcodes.read(await picture_of(message, bot))
    codes = rank_track_codes(scanned, draft.service_name or "", draft.order_id)
    if not codes:
        await message.answer(t("scan-no-track" if scanned else "scan-nothing"))
    elif len(codes) == 1:
        await _confirm_code(message, state, t, draft, codes[0], scanned=True)
    else:
        await save_draft(state, draft.offering(codes))
        shown = [(code, ScannedCD(index=n)) for n, code in enumerate(codes)]
        await message.answer(t("scan-several", count=len(codes)), reply_markup=buttons(shown))


async def on_scanned_button(
    query: CallbackQuery, callback_data: ScannedCD, card: Message, state: FSMContext, t: Texts
) -> None:
    draft = await current_draft(state, TrackDraft)
    if not 0 <= callback_data.index < len(draft.scanned):
        raise Refused("stale-button")
    await _confirm_code(card, state, t, draft, draft.scanned[callback_data.index], scanned=True)


async def _confirm_code(
    message: Message,
    state: FSMContext,
    t: Texts,
    draft: TrackDraft,
    code: str,
    *,
    scanned: bool = False,
    typed: str | None = None,
    above: str | None = None,
) -> None:
    draft = draft.with_code(code)
    await state.set_state(TrackSG.confirm)
    text: str = t("track-confirm", id=draft.order_id, service=draft.service_name, code=code)
    if scanned:
        text = t("scan-read", code=code) + "\n\n" + text
    if above:  # the order's card: the code came with the order, from one photo
        text = above + "\n\n" + text
    if typed is not None and written_differently(typed, code):
        text += "\n" + t("track-written-as", typed=clip(typed.strip(), TRACK_CODE_MAX + 8))
    if draft.replaces and draft.replaces != code:
        text += "\n" + t("track-replaces", code=draft.replaces)
    await ask_to_confirm(message, state, t, draft, text)


async def _ask_track_code(message: Message, state: FSMContext, t: Texts, service: DeliveryServiceRef) -> None:
    draft = (await current_draft(state, TrackDraft)).with_service(service)
    if draft.label:  # a label's photo came first: its codes, ranked for this service
        await _codes_from_label(message, state, t, draft)
        return
    await save_draft(state, draft)
    await state.set_state(TrackSG.track_code)
    await message.answer(t("track-ask-code", service=service.name))


async def reopen(
    message: Message, state: FSMContext, t: Texts, access: Access, orders: OrdersService, operation: Operation
) -> None:
    """«✏️ Другой трек-номер» under a refused code: the track-code step again, for the same order and
    service (the order read again: it may have moved on meanwhile)."""
    if not isinstance(operation.action, TrackCode):
        raise Refused("stale-button")
    await start_at_order_step(state, FLOW, access.shop_id)
    await take_order(message, str(operation.order_id), state, t, access, orders, FLOW)
    service_id = operation.action.delivery_service_id
    known = {s.id: s for s in await orders.services(access)}
    await _ask_track_code(
        message, state, t, known.get(service_id, DeliveryServiceRef(id=service_id, name=str(service_id)))
    )


def service_page(
    t: Texts, services: list[DeliveryServiceRef], page: int, order_service_id: int | None = None
) -> InlineKeyboardMarkup:
    def label(s: DeliveryServiceRef) -> str:
        return f"{s.name} · {t.plain('service-from-order')}" if s.id == order_service_id else s.name

    items = [(label(s), ServiceCD(id=s.id)) for s in services]
    more = (t("button-back"), t("button-more"))
    return paged(items, page, PAGE_SIZE, lambda n: ServicePageCD(page=n), more, per_row=2)


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order, and its flow to the registry."""
    prompts = {
        TrackSG.order_id: "track-ask-order-again",
        TrackSG.service: "track-ask-service",
        TrackSG.track_code: "track-ask-code-again",
        TrackSG.confirm: "confirm-use-buttons",
    }
    step = requires("conversation", refusal="no-shop")
    entry = Flow("track", TrackSG, prompts, take_label=take_label, reopen=reopen)
    add_order_flow(router, flows, FLOW, entry, "track", on_order_id, step)
    router.callback_query.register(
        on_service_page, StateFilter(TrackSG.service), ServicePageCD.filter(), flags=step
    )
    router.callback_query.register(
        on_service_button, StateFilter(TrackSG.service), ServiceCD.filter(), flags=step
    )
    router.message.register(on_service_text, StateFilter(TrackSG.service), TEXT, flags=step)
    router.message.register(on_track_code, StateFilter(TrackSG.track_code), TEXT, flags=step)
    router.message.register(on_track_picture, StateFilter(TrackSG.track_code), PICTURE, flags=step)
    router.callback_query.register(
        on_scanned_button, StateFilter(TrackSG.track_code), ScannedCD.filter(), flags=step
    )
