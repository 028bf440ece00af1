"""What each of the Market's notifications does: the order read once by its number, its alert told once
whoever finds it first (the notification, the same notification again, or the poller), a cancellation
request counted from the time the buyer asked, a settled request shown so, a cancelled order's waiting
operations stopped, the kept copy of the order refreshed; what is not about a connected shop ignored."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.domain.alerts import CANCEL_WINDOW, SETTLED_BY_MARKET, SETTLED_ELSEWHERE, AlertKind
from bot.domain.clock import moscow_today
from bot.domain.market_data import OrderStatus
from bot.domain.notifications import parse_event
from bot.domain.records import OperationStatus
from bot.services.access import AccessService
from bot.services.alerts.poller import AlertPoller
from storage.db import Database
from storage.repositories import AlertsRepo, OperationsRepo, ShopsRepo
from storage.secrets import SecretBox
from tests.conftest import seed_shop
from tests.fakes.market import FakeMarket
from tests.services.conftest import Alerting, Clock, RecordedNotices, acted_on

OWNER, COURIER = 10, 30
TIME_FIELD = {
    "ORDER_CANCELLATION_REQUEST": "requestedAt",
    "ORDER_CREATED": "createdAt",
    "ORDER_CANCELLED": "cancelledAt",
    "ORDER_STATUS_UPDATED": "updatedAt",
    "ORDER_UPDATED": "updatedAt",
}


# What the contract requires beyond the ids and the time (notifications.yaml).
ITEMS = [{"offerId": "SKU-1", "count": 1}]
REQUIRED: dict[str, dict[str, Any]] = {
    "ORDER_CREATED": {"items": ITEMS},
    "ORDER_CANCELLED": {"items": ITEMS},
    "ORDER_STATUS_UPDATED": {"status": "DELIVERY", "substatus": "STARTED"},
    "ORDER_UPDATED": {"updateType": "DELIVERY_DATE_UPDATED"},
}


def notification(kind: str, order_id: int, at: dt.datetime, campaign: int = 1001, **more: Any) -> Any:
    """The event a notification about the order brings (as the endpoint parses it)."""
    body = {"notificationType": kind, "campaignId": campaign, "orderId": order_id, **REQUIRED.get(kind, {})}
    body |= more
    body[TIME_FIELD[kind]] = at.isoformat()
    return parse_event(body)


def reads(market: FakeMarket, order_id: int) -> int:
    """getBusinessOrders calls that named this order."""
    return sum(order_id in (c.body.get("orderIds") or []) for c in market.calls("getBusinessOrders"))


async def test_a_cancellation_request_is_alerted_once_counting_its_48_hours_from_the_buyers_request(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    shop_id = await seed_shop(db, box, OWNER, couriers=(COURIER,))
    await acted_on(db, clock, shop_id, 42, COURIER)
    await OperationsRepo(db).cancel_queued(shop_id, COURIER, "{}", clock())  # long done
    market.add_order(1001, 42, "DELIVERY")
    asked = clock.now - dt.timedelta(hours=5)
    market.request_cancel(1001, 42, at=asked)
    market.touch(1001, 42, clock.now - dt.timedelta(minutes=1))  # changed since: a poll would guess this
    event = notification("ORDER_CANCELLATION_REQUEST", 42, asked)

    assert await alerting.effects.act(event) == "alerted"
    assert notices.alerted(AlertKind.CANCEL) == [(OWNER, 42), (COURIER, 42)], "sent at once"
    assert await alerting.effects.act(event) == "refreshed", "the same notification again"
    await alerting.look()  # the poller finds the same request afterwards
    assert notices.alerted(AlertKind.CANCEL) == [(OWNER, 42), (COURIER, 42)], "told once"
    request = await AlertsRepo(db).cancel_request(shop_id, 42)
    assert request is not None and request.facts.requested_at == asked
    assert request.deadline == asked + CANCEL_WINDOW, "43 hours left, not 48"
    assert reads(market, 42) == 2, "each notification reads the order once, by its number"


async def test_a_request_the_poller_found_first_is_not_told_again_and_takes_the_buyers_time(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    shop_id = await seed_shop(db, box, OWNER)
    market.add_order(1001, 42, "DELIVERY")
    asked = clock.now - dt.timedelta(hours=5)
    guessed = clock.now - dt.timedelta(hours=1)
    market.request_cancel(1001, 42, at=guessed)  # the poller sees only the order's update time
    await alerting.look()
    assert notices.alerted(AlertKind.CANCEL) == [(OWNER, 42)]

    assert await alerting.effects.act(notification("ORDER_CANCELLATION_REQUEST", 42, asked)) == "refreshed"
    await alerting.outbox.deliver()
    assert notices.alerted(AlertKind.CANCEL) == [(OWNER, 42)], "nothing new to tell"
    request = await AlertsRepo(db).cancel_request(shop_id, 42)
    assert request is not None
    assert request.deadline == asked + CANCEL_WINDOW, "the real time corrects the guess"


async def test_a_forged_old_time_neither_ends_a_request_nor_creates_one(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    """A notification whose time no real request can have (years ago) does not move a request's
    48 hours, and an old one is not taken over the order as read (only a fresh one may be ahead)."""
    shop_id = await seed_shop(db, box, OWNER)
    market.add_order(1001, 42, "DELIVERY")
    market.request_cancel(1001, 42, at=clock.now - dt.timedelta(hours=1))
    await alerting.look()
    request = await AlertsRepo(db).cancel_request(shop_id, 42)
    assert request is not None
    deadline = request.deadline
    long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    await alerting.effects.act(notification("ORDER_CANCELLATION_REQUEST", 42, long_ago))
    again = await AlertsRepo(db).cancel_request(shop_id, 42)
    assert again is not None and again.deadline == deadline and again.answer is None

    market.add_order(1001, 43, "DELIVERY")  # no request at the Market
    market.touch(1001, 43, clock.now - dt.timedelta(days=3))
    stale = notification("ORDER_CANCELLATION_REQUEST", 43, clock.now - dt.timedelta(days=1))
    assert await alerting.effects.act(stale) == "refreshed"
    assert notices.alerted(AlertKind.CANCEL) == [(OWNER, 42)]


async def test_a_request_the_market_read_does_not_show_yet_is_alerted_all_the_same(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    await seed_shop(db, box, OWNER)
    market.add_order(1001, 42, "DELIVERY")
    market.touch(1001, 42, clock.now - dt.timedelta(hours=2))  # the copy read is older than the request
    event = notification("ORDER_CANCELLATION_REQUEST", 42, clock.now - dt.timedelta(minutes=1))
    assert await alerting.effects.act(event) == "alerted"
    assert notices.alerted(AlertKind.CANCEL) == [(OWNER, 42)], "the later time wins"


async def test_a_new_order_is_alerted_once_whoever_sees_it_first(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    await seed_shop(db, box, OWNER)
    market.add_new_order(1001, 51)
    event = notification("ORDER_CREATED", 51, clock.now, items=[{"offerId": "kettle", "count": 1}])
    assert await alerting.effects.act(event) == "alerted", "before the poller ever watched the shop"
    assert await alerting.effects.act(event) == "refreshed"
    await alerting.look()
    assert notices.alerted(AlertKind.NEW_ORDER) == [(OWNER, 51)]

    clock.advance(minutes=3)  # the poller finds the next one first
    market.add_order(1001, 52, "PROCESSING")
    market.orders[(1001, 52)]["creationDate"] = (
        (clock.now - dt.timedelta(minutes=1))
        .astimezone(dt.timezone(dt.timedelta(hours=3)))
        .strftime("%d-%m-%Y %H:%M:%S")
    )
    await alerting.look()
    assert await alerting.effects.act(notification("ORDER_CREATED", 52, clock.now)) == "refreshed"
    await alerting.outbox.deliver()
    assert notices.alerted(AlertKind.NEW_ORDER) == [(OWNER, 51), (OWNER, 52)]


@pytest.mark.parametrize(
    ("kind", "status", "settled_as"),
    [
        ("ORDER_CANCELLED", "CANCELLED", SETTLED_BY_MARKET),
        ("ORDER_STATUS_UPDATED", "CANCELLED", SETTLED_BY_MARKET),
        ("ORDER_STATUS_UPDATED", "DELIVERED", SETTLED_ELSEWHERE),
    ],
    ids=["cancelled", "status-cancelled", "delivered-answered-in-cabinet"],
)
async def test_an_order_that_moves_on_settles_its_open_request_on_every_message_once(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
    kind: str,
    status: str,
    settled_as: str,
) -> None:
    shop_id = await seed_shop(db, box, OWNER, couriers=(COURIER,))
    await acted_on(db, clock, shop_id, 42, COURIER)
    await OperationsRepo(db).cancel_queued(shop_id, COURIER, "{}", clock())
    market.add_order(1001, 42, "DELIVERY")
    market.request_cancel(1001, 42, at=clock.now - dt.timedelta(hours=3))
    await alerting.look()
    market.orders[(1001, 42)].update(status=status, cancelRequested=False)
    market.touch(1001, 42)
    event = notification(kind, 42, clock.now, status=status, substatus="USER_CHANGED_MIND")

    assert await alerting.effects.act(event) == "settled"
    assert await alerting.effects.act(event) == "refreshed"
    await alerting.look()  # the poller sees the same change afterwards
    request = await AlertsRepo(db).cancel_request(shop_id, 42)
    assert request is not None and request.answer == settled_as
    assert [(user, alert.order_id) for user, _, alert, _ in notices.settled] == [(OWNER, 42), (COURIER, 42)]


async def test_a_cancelled_orders_waiting_operations_stop_and_their_users_are_told(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    shop_id = await seed_shop(db, box, OWNER, couriers=(COURIER,))
    await acted_on(db, clock, shop_id, 42, COURIER)  # a track code waiting for a retry
    await acted_on(db, clock, shop_id, 43, COURIER)  # another order's: goes on
    market.add_order(1001, 42, "CANCELLED")
    event = notification("ORDER_CANCELLED", 42, clock.now, items=[{"offerId": "kettle", "count": 1}])

    assert await alerting.effects.act(event) == "stopped"
    assert await alerting.effects.act(event) == "refreshed"
    ops = {op.order_id: op for op in await OperationsRepo(db).history(shop_id)}
    assert ops[42].status is OperationStatus.FAILED and "ORDER_CANCELLED" in (ops[42].last_error or "")
    assert ops[43].status is OperationStatus.PENDING
    assert [(o.operation.order_id, o.failure and o.failure.code) for o in notices.results] == [
        (42, "ORDER_CANCELLED")
    ], "its courier is told why it did not go, once"
    assert market.writes() == [], "nothing was sent to the cancelled order"


@pytest.mark.parametrize("kind", ["ORDER_UPDATED", "ORDER_STATUS_UPDATED"])
async def test_the_kept_copy_of_a_listed_order_is_replaced_by_the_one_read(
    alerting: Alerting, db: Database, box: SecretBox, market: FakeMarket, clock: Clock, kind: str
) -> None:
    shop_id = await seed_shop(db, box, OWNER)
    access = await AccessService(db, box).to(OWNER, shop_id)
    assert access is not None
    market.add_order(1001, 42, "PROCESSING")
    await alerting.orders.pickable(access, [OrderStatus.PROCESSING])  # listed to the owner
    moved = moscow_today() + dt.timedelta(days=4)
    market.orders[(1001, 42)]["delivery"]["dates"]["fromDate"] = moved.strftime("%d-%m-%Y")
    market.touch(1001, 42)
    event = notification(kind, 42, clock.now, updateType="DELIVERY_DATE_UPDATED", status="PROCESSING")

    assert await alerting.effects.act(event) == "refreshed"
    calls = len(market.calls("getBusinessOrders"))
    order = await alerting.orders.find(access, 42)
    assert order.delivery is not None and order.delivery.dates is not None
    assert order.delivery.dates.from_date == moved, "the date the notification told of"
    assert len(market.calls("getBusinessOrders")) == calls, "taken from the read, not read again"


async def test_an_order_placed_more_than_30_days_ago_is_found_by_its_number(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    await seed_shop(db, box, OWNER)
    market.add_order(1001, 42, "DELIVERY", created=moscow_today() - dt.timedelta(days=45))
    market.request_cancel(1001, 42, at=clock.now - dt.timedelta(hours=1))
    assert await alerting.effects.act(notification("ORDER_CANCELLATION_REQUEST", 42, clock.now)) == "alerted"
    assert notices.alerted(AlertKind.CANCEL) == [(OWNER, 42)]
    windows = [c.body.get("dates") for c in market.calls("getBusinessOrders")]
    assert len(windows) == 2 and windows[0] is None, "the last 30 days, then the 30 before"


@pytest.mark.parametrize(
    ("body", "outcome"),
    [
        (
            {"notificationType": "ORDER_CREATED", "campaignId": 5555, "orderId": 42, "items": ITEMS},
            "ignored:no-shop",
        ),
        ({"notificationType": "PING"}, "ignored:ping"),
        ({"notificationType": "CHAT_CREATED", "chatId": 7, "businessId": 778}, "ignored:no-shop"),
        (
            {"notificationType": "CHAT_MESSAGE_SENT", "chatId": 7, "businessId": 778, "messageId": "9001"},
            "ignored:no-shop",
        ),
        ({"notificationType": "QUESTION_CREATED", "questionId": 3, "businessId": 777}, "ignored:kind"),
    ],
    ids=["other-campaign", "ping", "other-business-chat", "other-business-message", "question"],
)
async def test_what_is_not_about_a_connected_shops_order_reads_nothing(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
    body: dict[str, Any],
    outcome: str,
) -> None:
    await seed_shop(db, box, OWNER)
    market.add_new_order(1001, 42)
    moment = "createdAt" if body["notificationType"] != "CHAT_MESSAGE_SENT" else "sentAt"
    event = parse_event({**body, moment: clock.now.isoformat()})
    assert await alerting.effects.act(event) == outcome
    assert market.calls() == [] and notices.alerts == []


async def test_a_shop_whose_notifications_arrive_is_polled_only_as_a_backstop(
    alerting: Alerting, db: Database, box: SecretBox, clock: Clock
) -> None:
    shops = ShopsRepo(db, box)
    notified = await shops.get(await seed_shop(db, box, OWNER))
    quiet = await shops.get(await seed_shop(db, box, OWNER, campaign=1002, domain="fbs-shop.example"))
    assert notified is not None and quiet is not None
    seen = {1001: clock.now - dt.timedelta(minutes=50)}
    poller: AlertPoller = alerting.poller
    poller.last_seen = seen.get
    assert poller.interval(1, notified) == 900, "notified within the hour: ORDERS_BACKSTOP_SECONDS"
    assert poller.interval(1, quiet) == 120, "no notifications: ORDERS_POLL_SECONDS"
    clock.advance(minutes=11)
    assert poller.interval(1, notified) == 120, "none for over an hour: polled as before"
    assert poller.interval(400, notified) == 240, "a key's share of its budget still stretches it"
