"""/history: the last 20 operations in the active shop (the owner sees the whole team's)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.services.access import Access
from bot.services.operations import Operations
from bot.services.orders import OrdersService
from bot.telegram.access import requires
from bot.telegram.callbacks import BatchCD
from bot.telegram.flows import Flows
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons
from bot.telegram.views import batch_button, history_text

BATCH_BUTTONS = 5  # the newest bulk sends open from /history


async def show_history(
    message: Message, t: Texts, access: Access, operations: Operations, orders: OrdersService
) -> None:
    page = await operations.history(access, await orders.service_names(access))
    opens = [
        (batch_button(t, b.batch), BatchCD(id=b.batch.id, shop_id=b.batch.shop_id)) for b in page.batches
    ]
    keyboard = buttons(opens[:BATCH_BUTTONS]) if opens else None
    await message.answer(
        history_text(t, access.shop.title, page, team=access.is_owner), reply_markup=keyboard
    )


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order."""
    router.message.register(show_history, Command("history"), flags=requires())
