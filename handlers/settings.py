"""/settings: connect a shop with its Market API key (deleted from the chat at once)."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.i18n import Texts
from bot.keyboards import buttons
from bot.market import MarketApiError, MarketClient, MarketError
from bot.market.models import Campaign
from bot.operations import Failure
from bot.parsing import InputError, parse_api_key
from bot.pending_keys import PendingKeys
from bot.redaction import REDACTOR
from bot.views import failure_text
from storage.models import Role
from storage.repositories import SettingsRepo, ShopsRepo

logger = logging.getLogger(__name__)
TEXT = F.text & ~F.text.startswith("/")


class SettingsSG(StatesGroup):
    api_key = State()
    campaign = State()


class CampaignCD(CallbackData, prefix="cp"):
    id: int


async def start(message: Message, state: FSMContext, t: Texts, settings: SettingsRepo) -> None:
    active = await settings.active_shop(message.from_user.id if message.from_user else message.chat.id)
    if active is not None and active.role is Role.COURIER:
        await message.answer(t("settings-courier", shop=active.shop.title))
        return
    await state.clear()
    await state.set_state(SettingsSG.api_key)
    await message.answer(t("settings-ask-key"), disable_web_page_preview=True)


async def on_api_key(
    message: Message,
    bot: Bot,
    state: FSMContext,
    t: Texts,
    market: MarketClient,
    pending_keys: PendingKeys,
) -> None:
    REDACTOR.add((message.text or "").strip())
    await _delete_quietly(bot, message)
    try:
        api_key = parse_api_key(message.text)
    except InputError as exc:
        await message.answer(t(exc.key) + "\n" + t("settings-ask-key-again"))
        return
    try:
        campaigns = await market.get_campaigns(api_key)
    except MarketError as exc:
        reply = failure_text(t, Failure.of(exc))
        hint = t("settings-key-hint") if isinstance(exc, MarketApiError) and exc.status in (401, 403) else ""
        await message.answer("\n".join(p for p in (t("settings-key-refused"), reply, hint) if p))
        return
    if not campaigns:
        await message.answer(t("settings-no-campaigns"))
        return
    user_id = message.from_user.id if message.from_user else message.chat.id
    pending_keys.put(user_id, api_key, campaigns)
    await state.set_state(SettingsSG.campaign)
    warning = await _scope_warning(market, api_key, t)
    ordered = sorted(campaigns, key=lambda c: (not c.is_dbs, not c.is_available, c.domain or "", c.id))
    keyboard = buttons([(_campaign_label(t, c), CampaignCD(id=c.id)) for c in ordered])
    await message.answer(
        "\n\n".join(p for p in (t("settings-key-ok"), warning, t("settings-choose-campaign")) if p),
        reply_markup=keyboard,
    )


async def on_campaign(
    query: CallbackQuery,
    callback_data: CampaignCD,
    state: FSMContext,
    t: Texts,
    shops: ShopsRepo,
    pending_keys: PendingKeys,
) -> None:
    pending = pending_keys.get(query.from_user.id)
    campaign = pending.campaigns.get(callback_data.id) if pending else None
    if pending is None or campaign is None or not isinstance(query.message, Message):
        await query.answer(t("settings-key-expired"), show_alert=True)
        await state.set_state(SettingsSG.api_key)
        return
    shop = await shops.connect(
        owner_id=query.from_user.id,
        campaign_id=campaign.id,
        api_key=pending.api_key,
        domain=campaign.domain,
        business_id=campaign.business.id if campaign.business else None,
        business_name=campaign.business.name if campaign.business else None,
        placement_type=campaign.placement_type,
    )
    pending_keys.pop(query.from_user.id)
    await state.clear()
    await query.answer()
    note = "" if campaign.is_dbs else "\n\n" + t("settings-not-dbs")
    await query.message.edit_text(t("settings-connected", shop=shop.title) + note, reply_markup=None)


def _campaign_label(t: Texts, campaign: Campaign) -> str:
    label = f"{campaign.domain or campaign.id} · {campaign.placement_type or '?'}"
    return label if campaign.is_available else f"{label} · {t('campaign-inactive')}"


async def _scope_warning(market: MarketClient, api_key: str, t: Texts) -> str:
    try:
        info = await market.get_token_info(api_key)
    except MarketError:
        return ""  # the check is a courtesy: without it the key may still work
    return "" if info.can_process_orders else t("settings-scope-missing")


async def _delete_quietly(bot: Bot, message: Message) -> None:
    """The key must not stay in the chat history; if Telegram refuses, say nothing and go on."""
    try:
        await bot.delete_message(message.chat.id, message.message_id)
    except TelegramAPIError as exc:
        logger.warning("could not delete the message with an API key: %s", type(exc).__name__)


def create_router() -> Router:
    router = Router(name="settings")
    router.message.register(start, Command("settings"))
    router.message.register(on_api_key, SettingsSG.api_key, TEXT)
    router.callback_query.register(on_campaign, SettingsSG.campaign, CampaignCD.filter())
    return router
