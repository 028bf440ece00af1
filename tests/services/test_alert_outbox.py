"""The alerts' outbox: what a poll recorded goes out after it (once, across a restart too), not to
someone who left the team nor about a request already settled; a request settled in the Market's
cabinet or by the Market shows so on every message about it."""

from __future__ import annotations

import datetime as dt

from bot.domain.alerts import SETTLED_BY_MARKET, SETTLED_ELSEWHERE, AlertKind
from bot.market.client import MarketClient
from storage.db import Database
from storage.repositories import AlertsRepo
from storage.secrets import SecretBox
from tests.conftest import seed_shop
from tests.fakes.market import FakeMarket
from tests.services.conftest import Alerting, Clock, RecordedNotices, acted_on, alerting_with

OWNER, COURIER = 10, 30


async def requested(market: FakeMarket, clock: Clock, *order_ids: int) -> None:
    for order_id in order_ids:
        market.add_order(1001, order_id, "DELIVERY")
        market.request_cancel(1001, order_id, at=clock.now - dt.timedelta(hours=1))


async def test_a_restart_between_the_poll_and_the_messages_neither_loses_nor_repeats_them(
    db: Database,
    box: SecretBox,
    client: MarketClient,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    await seed_shop(db, box, OWNER)
    await requested(market, clock, 43)
    before = alerting_with(db, box, client, RecordedNotices(), clock)
    await before.poller.poll_due(every=True)  # recorded; then the bot stops
    restarted = alerting_with(db, box, client, notices, clock)
    await restarted.poller.turn(poll_every=True)  # the poll runs again after the restart
    await restarted.poller.turn(poll_every=True)
    assert notices.alerted(AlertKind.CANCEL) == [(OWNER, 43)]


async def test_nothing_goes_to_someone_who_left_nor_about_a_request_settled_meanwhile(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    shop_id = await seed_shop(db, box, OWNER, couriers=(COURIER,))
    await acted_on(db, clock, shop_id, 42, COURIER)
    await requested(market, clock, 42, 44)
    await alerting.poller.poll_due(every=True)
    await db.execute("DELETE FROM memberships WHERE user_id = ?", (COURIER,))  # removed from the team
    settled = await AlertsRepo(db).cancel_request(shop_id, 44)
    assert settled is not None
    await AlertsRepo(db).answered(settled.id, clock(), answer=SETTLED_ELSEWHERE)
    assert await alerting.outbox.deliver() == 1
    assert notices.alerted(AlertKind.CANCEL) == [(OWNER, 42)]
    assert await alerting.outbox.deliver() == 0, "the others are done with, not tried again"


async def test_a_request_settled_in_the_cabinet_or_by_the_market_shows_so_on_its_messages(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    shop_id = await seed_shop(db, box, OWNER, couriers=(COURIER,))
    await acted_on(db, clock, shop_id, 45, COURIER)
    await requested(market, clock, 45, 46)
    await alerting.look()
    alerted = {(user, alert.order_id): 900 + n for n, (user, alert) in enumerate(notices.alerts, 1)}
    market.orders[(1001, 45)]["cancelRequested"] = False  # answered in the Market's cabinet
    market.orders[(1001, 46)].update(cancelRequested=False, status="CANCELLED")  # the Market cancelled it
    clock.advance(minutes=2)
    for order_id in (45, 46):
        market.touch(1001, order_id, clock.now - dt.timedelta(minutes=1))
    await alerting.look()

    answers = {}
    for order_id in (45, 46):
        request = await AlertsRepo(db).cancel_request(shop_id, order_id)
        assert request is not None and request.answered and request.answered_by is None
        answers[order_id] = request.answer
    assert answers == {45: SETTLED_ELSEWHERE, 46: SETTLED_BY_MARKET}
    shown = [(user, message, request.order_id, who) for user, message, request, who in notices.settled]
    assert shown == [
        (OWNER, alerted[(OWNER, 45)], 45, None),
        (COURIER, alerted[(COURIER, 45)], 45, None),
        (OWNER, alerted[(OWNER, 46)], 46, None),
    ]
    await alerting.look()
    assert len(notices.settled) == 3, "settled once"
