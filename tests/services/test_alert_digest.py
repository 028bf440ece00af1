"""The morning digest on an injected clock: once a day from 09:00 to 21:00 Moscow time, listing the
orders due today and those overdue; a read cut short by its page cap says so in the log."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.alerts import AlertKind, DigestLine
from bot.domain.clock import MSK, moscow_today
from bot.services.alerts import poller as poller_module
from storage.db import Database
from storage.secrets import SecretBox
from tests.conftest import seed_shop
from tests.fakes.market import FakeMarket
from tests.services.conftest import Alerting, Clock, RecordedNotices

OWNER, COURIER = 10, 30


def moscow(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), MSK)


async def digests_at(alerting: Alerting, clock: Clock, moment: dt.datetime) -> None:
    clock.now = moment
    await alerting.poller.digests()
    await alerting.outbox.deliver()


async def test_the_digest_goes_once_a_day_from_nine_to_nine_moscow_time(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    await seed_shop(db, box, OWNER, couriers=(COURIER,))
    today = moscow_today()
    market.add_order(1001, 60, "PROCESSING", delivery_from=today)
    market.add_order(1001, 61, "DELIVERY", delivery_from=today - dt.timedelta(days=2))
    market.add_order(1001, 62, "DELIVERY", delivery_from=today + dt.timedelta(days=1))
    market.add_order(1001, 63, "DELIVERED", delivery_from=today)
    await alerting.poller.poll_due(every=True)  # the watch starts

    await digests_at(alerting, clock, moscow(today, 8, 59))
    assert notices.alerts == [], "not before 09:00"
    await digests_at(alerting, clock, moscow(today, 9, 0))
    await digests_at(alerting, clock, moscow(today, 20, 59))
    [(user, digest)] = notices.alerts
    assert user == OWNER and digest.kind is AlertKind.DIGEST, "the owner's, once; couriers have it off"
    assert digest.facts.overdue == [DigestLine(order_id=61, day=today - dt.timedelta(days=2))]
    assert digest.facts.today == [DigestLine(order_id=60, day=today)]

    tomorrow = today + dt.timedelta(days=1)
    await digests_at(alerting, clock, moscow(tomorrow, 21, 0))
    assert len(notices.alerts) == 1, "a bot down all day sends no digest in the evening"
    await digests_at(alerting, clock, moscow(tomorrow + dt.timedelta(days=1), 20, 59))
    assert len(notices.alerts) == 2, "... and sends the next day's until 21:00"


async def test_a_day_with_nothing_to_list_has_no_digest(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    await seed_shop(db, box, OWNER)
    today = moscow_today()
    market.add_order(1001, 62, "DELIVERY", delivery_from=today + dt.timedelta(days=1))
    await alerting.poller.poll_due(every=True)
    await digests_at(alerting, clock, moscow(today, 9, 5))
    reads = len(market.calls("getBusinessOrders"))
    await digests_at(alerting, clock, moscow(today, 9, 30))
    assert notices.alerts == []
    assert len(market.calls("getBusinessOrders")) == reads, "the day's digest was looked at once"


async def test_a_digest_cut_short_by_its_page_cap_says_so_in_the_log(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(poller_module, "DIGEST_MAX_PAGES", 1)
    market.check_responses = False
    await seed_shop(db, box, OWNER)
    today = moscow_today()
    for n in range(51):
        market.add_order(1001, 2000 + n, "DELIVERY", delivery_from=today)
    await alerting.poller.poll_due(every=True)
    await digests_at(alerting, clock, moscow(today, 9, 1))
    [(_, digest)] = notices.alerts
    assert len(digest.facts.today) == 50
    assert "the digest of" in caplog.text and "only the first 50 orders" in caplog.text
