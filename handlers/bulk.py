"""Many track codes at once: a pasted list (`<order> <track code> [service]` a line) or a CSV/XLSX
file, sent at any time without a command → one preview → «Отправить все» → one progress message.

A list of several lines is taken at any step (no conversation step expects several lines); a single
line only when no conversation is open. Pressing «Отправить все» records the batch and all its lines
before anything else (pressing twice records once), then a runner sends them in the background.
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.domain.bulk import BulkRow, rows_from_text
from bot.domain.errors import FileRefused, OrderUnavailable
from bot.services.access import Access
from bot.services.bulk import BulkSends, Recorded
from bot.services.orders import OrdersService
from bot.services.tables import TableReader
from bot.telegram.access import requires
from bot.telegram.callbacks import BatchCD
from bot.telegram.confirm import confirm_card, record, show, to_send
from bot.telegram.draft import BulkDraft, load_bulk, save_bulk
from bot.telegram.files import table_kind, table_of
from bot.telegram.filters import has_text, table_file, unreadable_table
from bot.telegram.flows import Flows
from bot.telegram.i18n import Texts
from bot.telegram.keyboards import buttons
from bot.telegram.safety import quietly
from bot.telegram.views import batch_lines_text, bulk_left_out_text, bulk_preview_texts, failure_text


class BulkSG(StatesGroup):
    confirm = State()


class BulkCD(CallbackData, prefix="bk"):
    """Send or drop the preview shown under `nonce` for `shop_id`."""

    action: str  # "send" | "cancel"
    shop_id: int
    nonce: str


async def _several_lines(message: Message) -> dict[str, list[BulkRow]] | bool:
    rows = rows_from_text(message.text or "") if message.text and "\n" in message.text.strip() else None
    return {"rows": rows} if rows else False


async def _one_line(message: Message) -> dict[str, list[BulkRow]] | bool:
    text = message.text or ""
    rows = rows_from_text(text) if not text.startswith("/") else None
    return {"rows": rows} if rows else False


async def on_file(
    message: Message,
    bot: Bot,
    state: FSMContext,
    t: Texts,
    access: Access,
    bulk: BulkSends,
    tables: TableReader,
) -> None:
    document = message.document
    kind = table_kind(document)
    if document is None or kind is None:
        return
    try:
        data = await table_of(document, bot)
        rows = await tables.read(data, kind)  # in a worker process, within a time bound
    except FileRefused as exc:  # a table is no answer to a conversation's step: it is not asked again
        await message.answer(t(exc.key))
        return
    if not rows:
        await message.answer(t("bulk-file-empty"))
        return
    await on_list(message, rows, state, t, access, bulk)


async def on_other_table(message: Message, t: Texts) -> None:
    await message.answer(t("bulk-file-other-kind"))


async def on_list(
    message: Message,
    rows: list[BulkRow],
    state: FSMContext,
    t: Texts,
    access: Access,
    bulk: BulkSends,
) -> None:
    try:
        preview = await bulk.check(access, rows)  # a long list: «typing…» meanwhile (bot.telegram.waiting)
    except OrderUnavailable as exc:
        await message.answer(failure_text(t, exc.failure, read=True) + "\n" + t("bulk-send-again"))
        return
    *before, last = bulk_preview_texts(t, preview, access.shop.title)
    for text in before:
        await message.answer(text)
    if not preview.ready:
        await message.answer(last)
        return
    await state.clear()  # a list ends whatever conversation was open
    send = t("button-send-all", count=len(preview.ready))
    nonce, keyboard = confirm_card(t, BulkCD, access.shop_id, send, per_row=1)
    await state.set_state(BulkSG.confirm)
    draft = BulkDraft(shop_id=access.shop_id, nonce=nonce, lines=preview.ready, checked_at=preview.checked_at)
    await save_bulk(state, draft)
    await message.answer(last, reply_markup=keyboard)


async def on_send_all(
    query: CallbackQuery,
    callback_data: BulkCD,
    callback_answer: CallbackAnswer,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    bulk: BulkSends,
) -> None:
    if await bulk.confirmed_before(access.user_id, callback_data.nonce) is not None:
        callback_answer.text = t("already-handled")
        return
    draft = await load_bulk(state)
    if draft is not None and draft.nonce != callback_data.nonce:  # a newer list's preview is on screen
        callback_answer.text, callback_answer.show_alert = t.plain("bulk-replaced"), True
        await quietly(card.edit_reply_markup(reply_markup=None), "take an old preview's buttons away")
        return
    if not await to_send(callback_data, draft, access, state, card, t, "bulk-cancelled") or draft is None:
        return
    recorded = await record(
        state,
        card,
        t,
        lambda also: bulk.record(access, draft.lines, draft.nonce, checked_at=draft.checked_at, also=also),
    )
    await _show_recorded(card, callback_answer, t, bulk, recorded)


async def _show_recorded(
    card: Message, callback_answer: CallbackAnswer, t: Texts, bulk: BulkSends, recorded: Recorded
) -> None:
    """Answer «Отправить все»: the card shows the batch started (its progress from then on), and the
    lines left out, or that nothing was left to send."""
    if not recorded.new:
        callback_answer.text = t("already-handled")
        return
    batch = recorded.batch
    if batch is None:  # every line's order got a track code on its way since the preview
        await show(card, bulk_left_out_text(t, recorded.left_out))
        return
    callback_answer.text = t("sending")
    await show(card, t("bulk-started", size=batch.size))
    if recorded.left_out:  # the card shows the progress from now on: this stays in a message of its own
        await quietly(card.answer(bulk_left_out_text(t, recorded.left_out)), "say what was left out")
    bulk.start(batch, card.message_id)


async def on_batch_lines(
    query: CallbackQuery,
    callback_data: BatchCD,
    card: Message,
    t: Texts,
    access: Access,
    bulk: BulkSends,
    orders: OrdersService,
) -> None:
    batch, lines = await bulk.lines(access, callback_data.id)
    page = callback_data.page
    text, pages = batch_lines_text(t, batch, lines, await orders.service_names(access), page)
    turns = [(t("button-back"), page - 1), (t("button-more"), page + 1)]
    footer = [
        (label, BatchCD(id=batch.id, shop_id=batch.shop_id, page=n, edit=True))
        for label, n in turns
        if 0 <= n < pages
    ]
    keyboard = buttons([], footer=footer) if footer else None
    if callback_data.edit:
        await card.edit_text(text, reply_markup=keyboard)
    else:
        await card.answer(text, reply_markup=keyboard)


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order."""
    active = requires()
    router.message.register(on_list, has_text, _several_lines, flags=active)
    router.message.register(on_list, StateFilter(None, BulkSG.confirm), _one_line, flags=active)
    router.message.register(on_file, table_file, flags=active)
    router.message.register(on_other_table, unreadable_table)
    router.callback_query.register(on_send_all, BulkCD.filter(), flags=requires("button", refusal="no-right"))
    router.callback_query.register(
        on_batch_lines, BatchCD.filter(), flags=requires("button", refusal="no-right")
    )
