"""A cancellation request's 48 hours on an injected clock: a reminder when 6 hours are left (not for a
request first seen that close), and the end of a request nobody answered an hour past its 48 hours."""

from __future__ import annotations

import datetime as dt

from bot.domain.alerts import SETTLED_BY_MARKET, AlertKind
from storage.db import Database
from storage.repositories import AlertDeliveriesRepo, AlertsRepo
from storage.secrets import SecretBox
from tests.conftest import seed_shop
from tests.fakes.market import FakeMarket
from tests.services.conftest import Alerting, Clock, RecordedNotices, acted_on

OWNER, COURIER, OTHER = 10, 30, 31


async def asked(market: FakeMarket, clock: Clock, order_id: int, hours_ago: float) -> None:
    market.add_order(1001, order_id, "DELIVERY")
    market.request_cancel(1001, order_id, at=clock.now - dt.timedelta(hours=hours_ago))


async def test_a_reminder_goes_once_to_the_requests_recipients_when_six_hours_are_left(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    shop_id = await seed_shop(db, box, OWNER, couriers=(COURIER, OTHER))
    await acted_on(db, clock, shop_id, 46, COURIER)
    await asked(market, clock, 46, hours_ago=30)  # 18 hours left
    await alerting.look()
    clock.advance(hours=11, minutes=59)  # 6 h 1 min left
    assert await alerting.poller.remind() == 0
    clock.advance(minutes=2)  # 5 h 59 min left
    await acted_on(db, clock, shop_id, 46, OTHER)  # another courier since: the request's people stay
    assert await alerting.poller.remind() == 1
    assert await alerting.poller.remind() == 0
    await alerting.outbox.deliver()
    assert notices.alerted(AlertKind.REMINDER) == [(OWNER, 46), (COURIER, 46)]
    [(_, reminder)] = [(u, a) for u, a in notices.alerts if a.kind is AlertKind.REMINDER and u == OWNER]
    request = await AlertsRepo(db).cancel_request(shop_id, 46)
    assert request is not None and reminder.facts == request.facts, "it tells the same request"


async def test_no_reminder_for_a_request_first_seen_with_less_than_six_hours_left(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    await seed_shop(db, box, OWNER)
    await asked(market, clock, 47, hours_ago=43)  # 5 hours left when the bot first sees it
    await alerting.look()
    clock.advance(hours=2)
    assert await alerting.poller.remind() == 0
    await alerting.outbox.deliver()
    assert notices.alerted(AlertKind.CANCEL) == [(OWNER, 47)]
    assert notices.alerted(AlertKind.REMINDER) == [], "its first alert already says how little is left"


async def test_a_request_nobody_answered_is_over_an_hour_past_its_48_hours(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    shop_id = await seed_shop(db, box, OWNER)
    await asked(market, clock, 48, hours_ago=30)
    await alerting.look()
    clock.advance(hours=18, minutes=59)  # 59 minutes past its 48 hours, the order not seen since
    await alerting.poller.remind()
    await alerting.outbox.deliver()
    assert [r.order_id for r in await AlertsRepo(db).open_requests(shop_id)] == [48]
    assert notices.settled == []
    clock.advance(minutes=2)
    await alerting.poller.remind()
    assert await AlertsRepo(db).open_requests(shop_id) == []
    request = await AlertsRepo(db).cancel_request(shop_id, 48)
    assert request is not None and request.answer == SETTLED_BY_MARKET and request.answered_at == clock.now
    assert notices.alerted(AlertKind.CANCEL) == notices.alerted(AlertKind.REMINDER) == [(OWNER, 48)]
    assert [(user, message) for user, message, _, _ in notices.settled] == [(OWNER, 901), (OWNER, 902)], (
        "the alert and its reminder both say it is over"
    )
    assert await AlertDeliveriesRepo(db).recipients(request.id) == [OWNER]
