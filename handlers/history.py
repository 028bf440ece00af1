"""/history: the last 20 operations in the active shop (the owner sees the whole team's)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.services.access import Access
from bot.services.operations import Operations
from bot.services.orders import OrdersService
from bot.telegram.access import requires
from bot.telegram.i18n import Texts
from bot.telegram.views import history_text


async def show_history(
    message: Message, t: Texts, access: Access, operations: Operations, orders: OrdersService
) -> None:
    page = await operations.history(access, await orders.service_names(access))
    await message.answer(history_text(t, access.shop.title, page, team=access.is_owner))


def create_router() -> Router:
    router = Router(name="history")
    router.message.register(show_history, Command("history"), flags=requires())
    return router
