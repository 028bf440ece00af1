"""Buyers' messages reach the team: by the poll of the chats waiting for an answer and by the Market's
push notifications, each told once per recipient (whichever way finds it first, and across a restart),
to the owners and the courier who last acted on the order, as each one's /alerts switch allows; the
ids only are kept."""

from __future__ import annotations

import datetime as dt

from bot.domain.alerts import Switch
from bot.domain.chats import ChatType, Sender
from bot.domain.notifications import MarketEvent, parse_event
from bot.market.client import MarketClient
from bot.services.chats.feed import ChatFeed
from bot.services.delivery_services import DeliveryServices
from bot.services.orders import OrdersService
from storage.db import Database
from storage.repositories import AlertSwitchesRepo, MembershipsRepo, Repos
from storage.secrets import SecretBox
from tests.conftest import seed_shop
from tests.fakes.market import FakeMarket
from tests.services.conftest import Alerting, Clock, RecordedNotices, acted_on

OWNER, COURIER, OTHER_COURIER = 10, 30, 31
BUSINESS = 777


def told(notices: RecordedNotices) -> list[tuple[int, int, str]]:
    """(recipient, order, text) of each buyer's message shown."""
    return [(user, note.chat.context.order_id or 0, note.message.text) for user, note in notices.chat_notes]


def chat_event(kind: str, chat_id: int, message_id: int | None = None) -> MarketEvent:
    body: dict[str, object] = {"notificationType": kind, "chatId": chat_id, "businessId": BUSINESS}
    if kind == "CHAT_MESSAGE_SENT":
        body |= {"messageId": str(message_id), "sentAt": dt.datetime.now(dt.UTC).isoformat()}
    else:
        body["createdAt"] = dt.datetime.now(dt.UTC).isoformat()
    return parse_event(body)


async def test_a_buyers_message_found_by_the_poll_reaches_the_owner_and_the_orders_courier_once(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    shop_id = await seed_shop(db, box, OWNER, couriers=(COURIER, OTHER_COURIER))
    await acted_on(db, clock, shop_id, 42, OTHER_COURIER, COURIER)  # COURIER acted last
    market.add_order(1001, 42, "DELIVERY")
    chat_id = market.add_chat(1001, 42)
    market.buyer_writes(chat_id, "Можно после 18:00?")

    await alerting.chats.turn(poll_every=True)
    assert told(notices) == [(OWNER, 42, "Можно после 18:00?"), (COURIER, 42, "Можно после 18:00?")]
    note = notices.chat_notes[0][1]
    assert note.order is not None and note.order.order_id == 42, "shown with its order"
    assert note.chat.context.first_name == "Анна"

    reads = len(market.calls("getChatHistory"))
    await alerting.chats.turn(poll_every=True)
    assert len(notices.chat_notes) == 2, "nothing new: told once"
    assert len(market.calls("getChatHistory")) == reads, "a chat not changed since is not read again"

    market.buyer_writes(chat_id, "И позвоните заранее")
    await alerting.chats.turn(poll_every=True)
    assert told(notices)[2:] == [(OWNER, 42, "И позвоните заранее"), (COURIER, 42, "И позвоните заранее")]
    histories = market.calls("getChatHistory")
    assert histories[-1].body.get("messageIdFrom"), "a chat already read is read from where it was left"


async def test_a_push_notification_tells_at_once_and_the_poll_after_it_tells_nothing_again(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    await seed_shop(db, box, OWNER)
    market.add_order(1001, 42, "PROCESSING")
    chat_id = market.add_chat(1001, 42)
    message_id = market.buyer_writes(chat_id, "Где мой заказ?")

    event = chat_event("CHAT_MESSAGE_SENT", chat_id, message_id)
    assert await alerting.effects.act(event) == "alerted"
    assert told(notices) == [(OWNER, 42, "Где мой заказ?")]
    assert await alerting.effects.act(event) == "recorded", "the same notification again"
    await alerting.chats.turn(poll_every=True)
    assert len(notices.chat_notes) == 1, "the poll finds the same message: told once"


async def test_a_message_recorded_before_a_restart_is_shown_after_it_once(
    db: Database,
    box: SecretBox,
    client: MarketClient,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    shop_id = await seed_shop(db, box, OWNER)
    market.add_order(1001, 42, "DELIVERY")
    chat_id = market.add_chat(1001, 42)
    message_id = market.buyer_writes(chat_id, "Я дома до 20:00")
    async with db.transaction() as tx:  # the poll recorded it; the process stopped before showing it
        await Repos.on(tx, box).chat_deliveries.record(shop_id, chat_id, message_id, 42, [OWNER], clock())
        await Repos.on(tx, box).chat_watch.advance(shop_id, chat_id, message_id, clock())

    orders = OrdersService(db, box, client, DeliveryServices(client, db))
    restarted = ChatFeed(db, box, client, orders, notices, clock=clock)
    await restarted.turn(poll_every=True)
    assert told(notices) == [(OWNER, 42, "Я дома до 20:00")], "read again from the Market, shown once"
    await restarted.turn(poll_every=True)
    assert len(notices.chat_notes) == 1


async def test_chat_alerts_switched_off_reach_nobody_and_a_removed_courier_gets_nothing(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    shop_id = await seed_shop(db, box, OWNER, couriers=(COURIER,))
    await acted_on(db, clock, shop_id, 42, COURIER)
    await AlertSwitchesRepo(db).set_switch(OWNER, Switch.CHAT, False)
    market.add_order(1001, 42, "DELIVERY")
    chat_id = market.add_chat(1001, 42)
    market.buyer_writes(chat_id, "Алло?")
    await MembershipsRepo(db).remove(COURIER, shop_id)

    await alerting.chats.turn(poll_every=True)
    assert notices.chat_notes == [], "the owner switched chats off; the courier is no longer in the team"


async def test_a_dispute_support_and_files_are_shown_as_such_and_a_big_file_is_only_named(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    await seed_shop(db, box, OWNER)
    market.add_order(1001, 42, "DELIVERY")
    chat_id = market.add_chat(1001, 42, type="ARBITRAGE")
    market.buyer_writes(
        chat_id,
        "Посмотрите фото",
        files=[("door.jpg", b"\xff\xd8jpeg"), ("big.pdf", b"x" * (5 * 1024 * 1024 + 1))],
    )
    market.buyer_writes(chat_id, "Арбитр на связи", sender="SUPPORT")

    await alerting.chats.turn(poll_every=True)
    notes = [note for _, note in notices.chat_notes]
    assert [n.message.sender for n in notes] == [Sender.CUSTOMER, Sender.SUPPORT]
    assert all(n.chat.type is ChatType.ARBITRAGE for n in notes)
    files = {f.name: f.data for f in notes[0].files}
    assert files == {"door.jpg": b"\xff\xd8jpeg", "big.pdf": None}, "over 5 MB: named, not downloaded"


async def test_a_shop_just_connected_hears_only_its_newest_unanswered_messages(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    await seed_shop(db, box, OWNER)
    market.add_order(1001, 42, "DELIVERY")
    chat_id = market.add_chat(1001, 42)
    market.buyer_writes(chat_id, "старый вопрос")
    market.buyer_writes(chat_id, "ответ магазина", sender="PARTNER")
    for n in range(5):
        market.buyer_writes(chat_id, f"вопрос {n}")

    await alerting.chats.turn(poll_every=True)
    assert [text for _, _, text in told(notices)] == ["вопрос 2", "вопрос 3", "вопрос 4"]
