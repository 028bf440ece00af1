"""/history: the user's last 20 operations in the active shop."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.delivery_services import DeliveryServiceCatalog
from bot.i18n import Texts
from bot.market import MarketError
from bot.views import history_line, service_names
from handlers.shared import active_access, refuse_no_shop, user_id_of
from storage.models import Role
from storage.repositories import OperationsRepo, SettingsRepo, ShopsRepo, UsersRepo

LIMIT = 20


async def show_history(
    message: Message,
    state: FSMContext,
    t: Texts,
    settings: SettingsRepo,
    shops: ShopsRepo,
    operations: OperationsRepo,
    users: UsersRepo,
    delivery_services: DeliveryServiceCatalog,
) -> None:
    user_id = user_id_of(message)
    access = await active_access(user_id, settings, shops)
    if access is None:
        return await refuse_no_shop(message, state, t)
    is_owner = access.membership.role is Role.OWNER
    ops = await operations.history(access.shop_id, user_id=None if is_owner else user_id, limit=LIMIT)
    if not ops:
        await message.answer(t("history-empty", shop=access.membership.shop.title))
        return None
    try:
        names = service_names(await delivery_services.all(access.api_key))
    except MarketError:
        names = {}
    who = await users.names(op.user_id for op in ops) if is_owner else {}
    lines = [history_line(t, op, names, who.get(op.user_id)) for op in ops]
    head = t("history-head-team" if is_owner else "history-head", shop=access.membership.shop.title)
    await message.answer(head + "\n\n" + "\n".join(lines))
    return None


def create_router() -> Router:
    router = Router(name="history")
    router.message.register(show_history, Command("history"))
    return router
