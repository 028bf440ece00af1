"""The order poller's rules on a real SQLite file and the fake Market, on an injected clock: what a
poll records and for whom, a new order only once the watch started, a burst read page by page across
turns, and the users' share of the hourly budget."""

from __future__ import annotations

import datetime as dt
import logging
from email.utils import format_datetime

import pytest

from bot.domain.alerts import AlertKind, Switch
from bot.domain.clock import MSK
from bot.domain.records import Role
from bot.services.alerts import poller as poller_module
from storage.db import Database
from storage.repositories import AlertDeliveriesRepo, AlertsRepo, OrderWatchRepo
from storage.secrets import SecretBox
from tests.conftest import seed_shop
from tests.fakes.market import FakeMarket
from tests.services.conftest import Alerting, Clock, RecordedNotices, acted_on

OWNER, EARLIER, LAST, IDLE = 10, 30, 31, 32


def placed(market: FakeMarket, order_id: int, at: dt.datetime) -> None:
    """The order was placed at `at` (the Market writes Moscow time to the second)."""
    market.orders[(1001, order_id)]["creationDate"] = at.astimezone(MSK).strftime("%d-%m-%Y %H:%M:%S")


async def test_a_request_is_recorded_once_for_the_owner_and_the_courier_who_last_acted_on_the_order(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    shop_id = await seed_shop(db, box, OWNER, couriers=(EARLIER, LAST, IDLE))
    await acted_on(db, clock, shop_id, 42, EARLIER, LAST)
    market.add_order(1001, 42, "DELIVERY", items=[("Чайник", 2)])
    requested = clock.now - dt.timedelta(hours=2)
    market.request_cancel(1001, 42, at=requested)
    await alerting.look()
    clock.advance(minutes=5)
    market.touch(1001, 42, clock.now - dt.timedelta(minutes=1))  # the order changes again, still asked
    await alerting.look()

    request = await AlertsRepo(db).cancel_request(shop_id, 42)
    assert request is not None and request.answer is None
    assert request.facts.requested_at == requested, "the 48 hours run from the buyer's request"
    assert request.facts.status == "DELIVERY" and request.facts.items == 2
    assert await AlertDeliveriesRepo(db).recipients(request.id) == [OWNER, LAST]
    assert notices.alerted(AlertKind.CANCEL) == [(OWNER, 42), (LAST, 42)], "once each, not per poll"


async def test_a_new_order_is_alerted_only_when_placed_after_the_watch_started(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    await seed_shop(db, box, OWNER, couriers=(EARLIER, LAST))
    await alerting.switches.toggle(LAST, Role.COURIER, Switch.NEW_ORDER)
    market.add_order(1001, 50, "PROCESSING")  # placed days before the bot watched the shop
    await alerting.look()
    assert notices.alerts == []
    watch = await OrderWatchRepo(db).watch(1)
    assert watch is not None and watch.watched_from == clock.now

    clock.advance(minutes=3)
    market.touch(1001, 50)  # changed since: still not new
    market.add_order(1001, 51, "PROCESSING")
    placed(market, 51, clock.now - dt.timedelta(minutes=1))
    await alerting.look()
    await alerting.look()
    assert notices.alerted(AlertKind.NEW_ORDER) == [(OWNER, 51), (LAST, 51)], (
        "the owner by default, a courier who switched it on; once"
    )


async def test_a_burst_past_the_page_cap_is_read_on_the_following_turns_and_the_cursor_waits(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(poller_module, "MAX_PAGES", 1)  # a busy shop in miniature: one page a poll
    caplog.set_level(logging.INFO, logger=poller_module.__name__)
    market.check_responses = False  # 120 orders a call; the request checks still run
    shop_id = await seed_shop(db, box, OWNER)
    earlier = clock.now - dt.timedelta(hours=3)
    for n in range(120):  # three pages, the request on the last one
        market.add_order(1001, 1000 + n, "DELIVERY")
        market.touch(1001, 1000 + n, earlier)
    requested = earlier + dt.timedelta(hours=2)
    market.request_cancel(1001, 1119, at=requested)
    watches = OrderWatchRepo(db)

    async def cursor() -> dt.datetime:
        watch = await watches.watch(shop_id)
        assert watch is not None
        return watch.polled_until

    assert await alerting.poller.poll_due() == 1
    assert await cursor() < requested, "the cursor does not pass the orders the cap left unread"
    assert "shop 1: page cap hit, going on next turn from page 2" in caplog.text
    await db.execute("UPDATE order_watch SET sweep_token = 'gone'")  # a token the Market forgot
    assert await alerting.poller.poll_due() == 1, "due again at once, not after the interval"
    assert await alerting.poller.poll_due() == 1
    assert await AlertsRepo(db).cancel_request(shop_id, 1119) is None and await cursor() < requested
    await alerting.poller.poll_due()  # the third page
    await alerting.poller.poll_due(every=True)
    await alerting.outbox.deliver()
    assert notices.alerted(AlertKind.CANCEL) == [(OWNER, 1119)]
    assert await cursor() > requested
    watch = await watches.watch(shop_id)
    assert watch is not None and watch.sweep is None, "the window was read through"
    polls = [c for c in market.calls("getBusinessOrders") if "updateDateFrom" in c.body.get("dates", {})]
    assert [c.query.get("pageToken") for c in polls] == [None, ["gone"], None, ["50"], ["100"], None]
    windows = {(c.body["dates"]["updateDateFrom"], c.body["dates"]["updateDateTo"]) for c in polls[:-1]}
    assert len(windows) == 1, "one window read page by page"


async def test_polls_stop_while_little_of_the_hourly_budget_is_left(
    alerting: Alerting, db: Database, box: SecretBox, market: FakeMarket, clock: Clock
) -> None:
    await seed_shop(db, box, OWNER)
    market.rate_headers["getBusinessOrders"] = {
        "X-RateLimit-Resource-Limit": "10000",
        "X-RateLimit-Resource-Remaining": "900",
        "X-RateLimit-Resource-Until": format_datetime(clock.now + dt.timedelta(minutes=30), usegmt=True),
    }
    assert await alerting.poller.poll_due(every=True) == 1
    assert await alerting.poller.poll_due(every=True) == 0
    assert len(market.calls("getBusinessOrders")) == 1, "the last 1,000 calls of the hour are the users'"
    poller = alerting.poller
    assert poller.interval(1) == 120 and poller.interval(200) == 120 and poller.interval(400) == 240
