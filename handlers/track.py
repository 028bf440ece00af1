"""/track: order ID → order card → delivery service → track code → confirmation (→ handlers.confirm)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.delivery_services import DeliveryServiceCatalog
from bot.i18n import Texts
from bot.keyboards import buttons
from bot.market import MarketClient, MarketError
from bot.parsing import InputError, match_services, order_services, parse_track_code
from bot.views import service_names
from handlers.shared import (
    Access,
    OrderFlow,
    access_to,
    active_access,
    begin_flow,
    confirm_keyboard,
    new_nonce,
    refuse_no_shop,
    take_order,
    user_id_of,
)
from storage.models import DeliveryServiceRef
from storage.repositories import MembershipsRepo, SettingsRepo, ShopsRepo

PAGE_SIZE = 6
MAX_MATCHES = 8
TEXT = F.text & ~F.text.startswith("/")


class TrackSG(StatesGroup):
    order_id = State()
    service = State()
    track_code = State()
    confirm = State()


FLOW = OrderFlow(
    name="track",
    order_state=TrackSG.order_id,
    ask_key="track-ask-order",
    again_key="track-ask-order-again",
    refused_key="track-status-not-allowed",
    allowed=lambda order: order.can_take_track,
)


class ServiceCD(CallbackData, prefix="sv"):
    id: int


class ServicePageCD(CallbackData, prefix="svp"):
    page: int


async def start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    t: Texts,
    settings: SettingsRepo,
    shops: ShopsRepo,
    market: MarketClient,
    delivery_services: DeliveryServiceCatalog,
) -> None:
    typed = await begin_flow(message, command.args, state, t, settings, shops, FLOW)
    if typed is not None:
        await on_order_id(message, state, t, settings, shops, market, delivery_services, text=typed)


async def on_order_id(
    message: Message,
    state: FSMContext,
    t: Texts,
    settings: SettingsRepo,
    shops: ShopsRepo,
    market: MarketClient,
    delivery_services: DeliveryServiceCatalog,
    text: str | None = None,
) -> None:
    async def names(access: Access) -> dict[int, str]:
        return service_names(await _services(delivery_services, access))

    typed = text if text is not None else message.text
    taken = await take_order(message, typed, state, t, settings, shops, market, FLOW, names)
    if taken is None:
        return
    access, card = taken
    services = await _services(delivery_services, access)
    await state.set_state(TrackSG.service)
    ordered = order_services(services, await settings.recent_services(user_id_of(message)))
    await message.answer(card + "\n\n" + t("track-ask-service"), reply_markup=_service_page(t, ordered, 0))


async def on_service_page(
    query: CallbackQuery,
    callback_data: ServicePageCD,
    t: Texts,
    settings: SettingsRepo,
    shops: ShopsRepo,
    delivery_services: DeliveryServiceCatalog,
) -> None:
    access = await active_access(query.from_user.id, settings, shops)
    if access is None or not isinstance(query.message, Message):
        await query.answer(t("stale-button"), show_alert=True)
        return
    ordered = order_services(
        await _services(delivery_services, access), await settings.recent_services(query.from_user.id)
    )
    await query.message.edit_reply_markup(reply_markup=_service_page(t, ordered, callback_data.page))
    await query.answer()


async def on_service_button(
    query: CallbackQuery,
    callback_data: ServiceCD,
    state: FSMContext,
    t: Texts,
    memberships: MembershipsRepo,
    shops: ShopsRepo,
    delivery_services: DeliveryServiceCatalog,
) -> None:
    access = await _flow_access(state, query.from_user.id, memberships, shops)
    services = await _services(delivery_services, access) if access else []
    chosen = next((s for s in services if s.id == callback_data.id), None)
    if access is None or chosen is None or not isinstance(query.message, Message):
        await query.answer(t("stale-button"), show_alert=True)
        return
    await query.answer()
    await _ask_track_code(query.message, state, t, chosen)


async def on_service_text(
    message: Message,
    state: FSMContext,
    t: Texts,
    memberships: MembershipsRepo,
    shops: ShopsRepo,
    delivery_services: DeliveryServiceCatalog,
) -> None:
    access = await _flow_access(state, user_id_of(message), memberships, shops)
    if access is None:
        return await refuse_no_shop(message, state, t)
    services = await _services(delivery_services, access)
    typed = (message.text or "").strip()
    if not services and typed.isdigit():  # the reference is unavailable: take the id as typed
        services = [DeliveryServiceRef(id=int(typed), name=typed)]
    matches = match_services(typed, services)
    if len(matches) == 1:
        return await _ask_track_code(message, state, t, matches[0])
    if not matches:
        await message.answer(t("service-not-found"), reply_markup=_service_page(t, services, 0))
        return None
    shown = matches[:MAX_MATCHES]
    await message.answer(
        t("service-several"), reply_markup=buttons([(s.name, ServiceCD(id=s.id)) for s in shown])
    )
    return None


async def on_track_code(
    message: Message, state: FSMContext, t: Texts, memberships: MembershipsRepo, shops: ShopsRepo
) -> None:
    try:
        code = parse_track_code(message.text)
    except InputError as exc:
        await message.answer(t(exc.key) + "\n" + t("track-ask-code-again"))
        return
    data = await state.get_data()
    if await _flow_access(state, user_id_of(message), memberships, shops) is None:
        return await refuse_no_shop(message, state, t)
    nonce = new_nonce()
    await state.update_data(track_code=code, nonce=nonce)
    await state.set_state(TrackSG.confirm)
    text = t(
        "track-confirm",
        id=data["order_id"],
        service=data["service_name"],
        code=code,
    )
    await message.answer(text, reply_markup=confirm_keyboard(t, nonce))
    return None


async def _ask_track_code(message: Message, state: FSMContext, t: Texts, service: DeliveryServiceRef) -> None:
    await state.update_data(service_id=service.id, service_name=service.name)
    await state.set_state(TrackSG.track_code)
    await message.answer(t("track-ask-code", service=service.name))


async def _flow_access(
    state: FSMContext, user_id: int, memberships: MembershipsRepo, shops: ShopsRepo
) -> Access | None:
    """The shop this conversation was started for, if the user still belongs to it."""
    shop_id = (await state.get_data()).get("shop_id")
    return await access_to(user_id, int(shop_id), memberships, shops) if shop_id else None


async def _services(catalog: DeliveryServiceCatalog, access: Access) -> list[DeliveryServiceRef]:
    try:
        return await catalog.all(access.api_key)
    except MarketError:
        return []


def _service_page(t: Texts, services: list[DeliveryServiceRef], page: int) -> InlineKeyboardMarkup:
    pages = max(1, -(-len(services) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    chunk = services[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    footer = []
    if page > 0:
        footer.append((t("button-back"), ServicePageCD(page=page - 1)))
    if page + 1 < pages:
        footer.append((t("button-more"), ServicePageCD(page=page + 1)))
    return buttons([(s.name, ServiceCD(id=s.id)) for s in chunk], per_row=2, footer=footer)


def create_router() -> Router:
    router = Router(name="track")
    router.message.register(start, Command("track"))
    router.message.register(on_order_id, TrackSG.order_id, TEXT)
    router.callback_query.register(on_service_page, TrackSG.service, ServicePageCD.filter())
    router.callback_query.register(on_service_button, TrackSG.service, ServiceCD.filter())
    router.message.register(on_service_text, TrackSG.service, TEXT)
    router.message.register(on_track_code, TrackSG.track_code, TEXT)
    return router
