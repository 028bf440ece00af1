"""/shop: choose the active shop among those the user belongs to."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message

from bot.i18n import Texts
from bot.keyboards import buttons
from handlers.shared import user_id_of
from storage.repositories import MembershipsRepo, SettingsRepo


class ShopCD(CallbackData, prefix="sh"):
    id: int


async def list_shops(
    message: Message, t: Texts, memberships: MembershipsRepo, settings: SettingsRepo
) -> None:
    user_id = user_id_of(message)
    mine = await memberships.shops_of(user_id)
    if not mine:
        await message.answer(t("no-shop"))
        return
    active = await settings.active_shop(user_id)
    active_id = active.shop.id if active else None
    rows = [
        (
            ("✓ " if m.shop.id == active_id else "") + f"{m.shop.title} · {t('role-' + m.role.value)}",
            ShopCD(id=m.shop.id),
        )
        for m in mine
    ]
    await message.answer(t("shop-choose"), reply_markup=buttons(rows))


async def on_shop(
    query: CallbackQuery,
    callback_data: ShopCD,
    t: Texts,
    memberships: MembershipsRepo,
    settings: SettingsRepo,
) -> None:
    membership = await memberships.get(query.from_user.id, callback_data.id)
    if membership is None or not isinstance(query.message, Message):
        await query.answer(t("no-right"), show_alert=True)
        return
    await settings.set_active_shop(query.from_user.id, callback_data.id)
    active = await settings.active_shop(query.from_user.id)
    await query.answer()
    title = active.shop.title if active else str(callback_data.id)
    await query.message.edit_text(t("shop-active", shop=title), reply_markup=None)


def create_router() -> Router:
    router = Router(name="shop")
    router.message.register(list_shops, Command("shop"))
    router.callback_query.register(on_shop, ShopCD.filter())
    return router
