"""The confirmation card of /track and /date: «Отправить» sends exactly once, «Отмена» drops the draft."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.i18n import Texts
from bot.market.models import DeliveryDateReason
from bot.operations import Failure, OperationSender, Outcome, date_payload, track_payload
from bot.views import outcome_text
from bot.worker import Notifier
from handlers.shared import ConfirmCD, access_to
from storage.models import OperationKind
from storage.repositories import MembershipsRepo, OperationsRepo, SettingsRepo, ShopsRepo


async def on_confirm(
    query: CallbackQuery,
    callback_data: ConfirmCD,
    state: FSMContext,
    t: Texts,
    operations: OperationsRepo,
    memberships: MembershipsRepo,
    shops: ShopsRepo,
    settings: SettingsRepo,
    sender: OperationSender,
    notifier: Notifier,
    bot: Bot,
) -> None:
    user_id = query.from_user.id
    idempotency_key = f"{user_id}:{callback_data.nonce}"
    done = await operations.by_idempotency_key(idempotency_key)
    if done is not None:  # a second tap, or a tap redelivered after a restart
        outcome = Outcome(done, duplicate=True, failure=Failure.from_json(done.last_error))
        await query.answer(t("already-handled"), show_alert=False)
        await _show(query, outcome_text(t, outcome))
        return
    data = await state.get_data()
    if data.get("nonce") != callback_data.nonce:
        await query.answer(t("stale-button"), show_alert=True)
        return
    await state.clear()
    if callback_data.action != "send":
        await query.answer()
        await _show(query, t("draft-cancelled"))
        return
    access = await access_to(user_id, int(data["shop_id"]), memberships, shops)
    if access is None:
        await query.answer(t("no-right"), show_alert=True)
        await _show(query, t("no-right"))
        return
    await query.answer(t("sending"))
    kind, payload = _operation(data)
    outcome = await sender.submit(
        user_id=user_id,
        shop_id=access.shop_id,
        order_id=int(data["order_id"]),
        kind=kind,
        payload=payload,
        idempotency_key=idempotency_key,
    )
    if outcome.ok and kind is OperationKind.TRACK:
        await settings.remember_service(user_id, int(payload["deliveryServiceId"]))
    await _show(query, outcome_text(t, outcome, data.get("service_name")))
    await notifier.owner_notice(bot, outcome)


def _operation(data: dict[str, Any]) -> tuple[OperationKind, dict[str, Any]]:
    if data["flow"] == "track":
        return OperationKind.TRACK, track_payload(data["track_code"], int(data["service_id"]))
    return OperationKind.DATE, date_payload(
        dt.date.fromisoformat(data["to_date"]), DeliveryDateReason(data["reason"])
    )


async def _show(query: CallbackQuery, text: str) -> None:
    """Replace the confirmation card with the result (a new message if it cannot be edited)."""
    if isinstance(query.message, Message):
        try:
            await query.message.edit_text(text, reply_markup=None)
        except TelegramBadRequest:
            await query.message.answer(text)


def create_router() -> Router:
    router = Router(name="confirm")
    router.callback_query.register(on_confirm, ConfirmCD.filter())
    return router
