"""What a courier sends without a command: outside any conversation, or where a step wants a button.

- A photo of a parcel label (or the picture as a file): /track for the order of the shop on it, its
  track code straight to the confirmation card with the order's own service; with no order of the
  shop on it, the order step asks which, keeping the code (handlers/track.py's `take_label`); with an
  order of another of the user's shops on it, «Переключиться», the code kept for then.
- An order number, or the end of one of the shop's active orders (3 to 6 digits): the order card.
- «Переключиться» under an order found in another of the user's shops (offered by the shared order
  step, bot.telegram.order_steps): that shop becomes the active one, and the conversation goes on
  with the order.

Several lines of text are a bulk send and a table file too (handlers/bulk.py, tried before this).
The conversations are started through the flows registry: no handler module imports another.
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain.parsing import InputError, parse_order_id
from bot.domain.track_codes import order_numbers, rank_track_codes
from bot.services.access import Access
from bot.services.barcodes import BarcodeReader
from bot.services.orders import OrdersService
from bot.services.shops import ShopsService
from bot.telegram.access import requires
from bot.telegram.callbacks import SwitchCD
from bot.telegram.draft import TrackDraft, load_draft, save_draft
from bot.telegram.files import picture_of
from bot.telegram.filters import picture, plain_text
from bot.telegram.flows import Flows
from bot.telegram.i18n import Texts
from bot.telegram.order_steps import offer_other_shop
from bot.telegram.presses import PRE
from bot.telegram.safety import quietly


async def order_number(message: Message) -> bool:
    """Text that is one order number (`№123 456 789` too), or the end of one."""
    try:
        parse_order_id(message.text)
    except InputError:
        return False
    return True


async def on_number(
    message: Message, state: FSMContext, t: Texts, access: Access, orders: OrdersService, flows: Flows
) -> None:
    await flows.enter_typed("status", message, state, t, access, orders, message.text or "")


async def on_label(
    message: Message,
    bot: Bot,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
    barcodes: BarcodeReader,
    flows: Flows,
) -> None:
    scanned = await barcodes.read(await picture_of(message, bot))
    numbers = order_numbers(scanned)
    found = await orders.first_of_shop(access, numbers) if numbers else None
    codes = rank_track_codes(scanned, "", found)  # ranked again once the order's service is known
    elsewhere = await orders.in_other_shop(access, numbers) if found is None and numbers else None
    if elsewhere is not None:  # the codes wait in /track's draft for «Переключиться»
        await state.set_state(flows["track"].first)
        await save_draft(state, TrackDraft(shop_id=access.shop_id).keeping_label(codes))
        await offer_other_shop(message, t, elsewhere)
        return
    if found is None and not codes:
        await message.answer(t("scan-label-unread" if scanned else "scan-nothing-here"))
        return
    await flows.take_label("track", message, state, t, access, orders, found, codes)


async def on_switch(
    query: CallbackQuery,
    callback_data: SwitchCD,
    card: Message,
    state: FSMContext,
    t: Texts,
    access: Access,
    orders: OrdersService,
    shops: ShopsService,
    flows: Flows,
) -> None:
    """The shop of the button (its membership checked) becomes the active one; the conversation on
    screen goes on with the order there, or, with none open, its card is shown."""
    shop = await shops.switch(access.user_id, callback_data.shop_id)
    name = flows.name_of(await state.get_state())
    flow = name if name is not None and flows[name].enter_at_order is not None else "status"
    draft = await load_draft(state)
    kept = draft.label if isinstance(draft, TrackDraft) and flow == "track" else ()  # from a label
    switched = card.edit_text(t("shop-active", shop=shop.title), reply_markup=None)
    await quietly(switched, "say the shop switched")
    if kept:
        await flows.take_label(flow, card, state, t, access, orders, callback_data.order_id, kept)
        return
    await flows.enter_at_order(flow, card, state, t, access, orders, callback_data.order_id)


async def not_connecting(message: Message, state: FSMContext, flows: Flows) -> bool:
    """Outside /settings (a photo or a number there is no shop's to take): with no conversation, or
    in one whose step wants a button (a step that takes a photo or text is tried before this)."""
    return flows.name_of(await state.get_state()) != "settings"


def register(router: Router, flows: Flows) -> None:
    """This module's handlers, added to the bot's one router in order (before the fallback): after
    every step's own, so a label photo or an order number sent where a step wants a button starts
    over with it instead of being refused (the step's card loses its buttons: live_keyboards)."""
    active = requires()
    router.message.register(on_label, not_connecting, picture, flags=active)
    router.message.register(on_number, not_connecting, plain_text, order_number, flags=active)
    router.callback_query.register(
        on_switch, SwitchCD.filter(), flags=requires("button", refusal="no-right") | PRE
    )
