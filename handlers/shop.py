"""/shop: choose the active shop among those the user belongs to."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain.errors import Refused
from bot.domain.records import Role
from bot.services.shops import ShopsService
from bot.telegram.access import user_id_of
from bot.telegram.callbacks import SameKeyCD
from bot.telegram.draft import load_draft
from bot.telegram.flows import Flows
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons


class ShopCD(CallbackData, prefix="sh"):
    id: int


async def list_shops(message: Message, t: Texts, shops: ShopsService) -> None:
    mine, active_id = await shops.mine(user_id_of(message))
    if not mine:
        await message.answer(t("no-shop"))
        return
    rows = [
        (
            ("✓ " if m.shop.id == active_id else "") + f"{m.shop.title} · {t('role-' + m.role.value)}",
            ShopCD(id=m.shop.id),
        )
        for m in mine
    ]
    owns_active = any(m.shop.id == active_id and m.role is Role.OWNER for m in mine)
    footer = [(t("shop-button-same-key"), SameKeyCD(shop_id=active_id))] if owns_active and active_id else []
    await message.answer(t("shop-choose"), reply_markup=buttons(rows, footer=footer))


async def on_shop(
    query: CallbackQuery,
    callback_data: ShopCD,
    state: FSMContext,
    t: Texts,
    shops: ShopsService,
    flows: Flows,
) -> None:
    if not isinstance(query.message, Message):
        raise Refused("stale-button")
    shop = await shops.switch(query.from_user.id, callback_data.id)  # NotAMember: told as an alert
    text: str = t("shop-active", shop=shop.title)
    # A conversation started in another shop ends here: its steps must not act on the new one.
    draft = await load_draft(state)
    current = await state.get_state()
    if flows.name_of(current) == "chat":
        pass  # an answer to a buyer is pinned to its chat's shop: it stays open
    elif current is not None and (draft is None or draft.shop_id != shop.id):
        await state.clear()
        text += "\n" + t("shop-switch-ended-conversation")
    await query.message.edit_text(text, reply_markup=None)


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order."""
    router.message.register(list_shops, Command("shop"))
    router.callback_query.register(on_shop, ShopCD.filter())
