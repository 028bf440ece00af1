"""/settings: connect a shop with its Market API key (deleted from the chat at once)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.domain.errors import CampaignTaken, KeyCannotProcessOrders, KeyExpired, Refused
from bot.domain.market_data import Campaign
from bot.domain.parsing import InputError, might_hold_a_key, parse_api_key
from bot.services.access import Access
from bot.services.shops import ShopsService
from bot.telegram.access import requires, user_id_of
from bot.telegram.callbacks import SameKeyCD
from bot.telegram.filters import plain_text
from bot.telegram.flows import Flow, Flows
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons
from bot.telegram.presses import PRE
from bot.telegram.safety import quietly

TEXT = plain_text


class SettingsSG(StatesGroup):
    api_key = State()
    campaign = State()


class CampaignCD(CallbackData, prefix="cp"):
    id: int


async def start(message: Message, state: FSMContext, t: Texts) -> None:
    await state.clear()
    await state.set_state(SettingsSG.api_key)
    await message.answer(t("settings-ask-key"), disable_web_page_preview=True)


async def on_api_key(message: Message, bot: Bot, state: FSMContext, t: Texts, shops: ShopsService) -> None:
    try:
        key = parse_api_key(message.text)
    except InputError as refused:
        # Not one key: a question stays in the chat; anything that might hold a key goes (below).
        if might_hold_a_key(message.text):
            await _delete(bot, message)
        await message.answer("\n".join([t(refused.key, **refused.args_), t("settings-key-hint")]))
        return
    await _delete(bot, message)
    try:
        offer = await shops.offer_key(user_id_of(message), key)
    except KeyCannotProcessOrders as refused:
        # Asked again with the key step's question, also where a key replaces the one being chosen for.
        await message.answer(t(refused.key, **refused.args_) + "\n" + t("settings-ask-key-again"))
        return
    checked = t("settings-key-ok") + ("" if offer.chats else "\n" + t("settings-chats-scope-missing"))
    await _offer(message, state, t, offer.campaigns, checked + "\n\n")


async def _delete(bot: Bot, message: Message) -> None:
    """The key must not stay in the chat history; if Telegram refuses, go on anyway."""
    await quietly(bot.delete_message(message.chat.id, message.message_id), "delete the message with a key")


async def _offer(message: Message, state: FSMContext, t: Texts, campaigns: list[Campaign], head: str) -> None:
    await state.set_state(SettingsSG.campaign)
    keyboard = buttons([(_campaign_label(t, c), CampaignCD(id=c.id)) for c in campaigns])
    await message.answer(head + t("settings-choose-campaign"), reply_markup=keyboard)


async def on_same_key(
    query: CallbackQuery, card: Message, state: FSMContext, t: Texts, access: Access, shops: ShopsService
) -> None:
    """«Другой магазин этого ключа» from /shop: the key of the active shop offers its other shops."""
    offer = await shops.offer_same_key(access)
    await state.clear()
    if not offer.campaigns:
        await card.answer(t("settings-same-key-none"))
        return
    await _offer(card, state, t, offer.campaigns, "")


async def on_campaign(
    query: CallbackQuery, callback_data: CampaignCD, state: FSMContext, t: Texts, shops: ShopsService
) -> None:
    if not isinstance(query.message, Message):
        raise Refused("stale-button")
    try:
        connected = await shops.connect(query.from_user.id, callback_data.id)
    except KeyExpired:
        await state.set_state(SettingsSG.api_key)
        raise
    except CampaignTaken as exc:  # said on the card, which offered that shop
        await state.clear()
        await query.message.edit_text(t(exc.key, **exc.args_), reply_markup=None)
        return
    await state.clear()
    note = "" if connected.is_dbs else "\n\n" + t("settings-not-dbs")
    await query.message.edit_text(
        t("settings-connected", shop=connected.shop.title) + note, reply_markup=None
    )


def _campaign_label(t: Texts, campaign: Campaign) -> str:
    label = f"{campaign.domain or campaign.id} · {campaign.placement_type or '?'}"
    return label if campaign.is_available else f"{label} · {t('campaign-inactive')}"


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order, and its flow to the registry."""
    prompts = {SettingsSG.api_key: "settings-ask-key-again", SettingsSG.campaign: "settings-choose-campaign"}
    flows.add(Flow("settings", SettingsSG, prompts))
    # No shop yet is fine (that is what /settings is for); a courier of the active shop is refused.
    owner_or_nobody = requires(owner=True, optional=True, owner_refusal="settings-courier")
    router.message.register(start, Command("settings"), flags=owner_or_nobody)
    router.message.register(on_api_key, StateFilter(SettingsSG.api_key), TEXT)
    # Another key pasted while the shops are shown is deleted too, and taken as the new key.
    router.message.register(on_api_key, StateFilter(SettingsSG.campaign), TEXT)
    router.callback_query.register(on_campaign, StateFilter(SettingsSG.campaign), CampaignCD.filter())
    owner = requires("button", owner=True, refusal="no-right")
    router.callback_query.register(on_same_key, SameKeyCD.filter(), flags=owner | PRE)
