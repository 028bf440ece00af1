"""/alerts switches: each role's defaults, a user's own choice, and who is told of a request by them."""

from __future__ import annotations

import datetime as dt

from bot.domain.alerts import AlertKind, Switch
from bot.domain.records import Role
from storage.db import Database
from storage.secrets import SecretBox
from tests.conftest import seed_shop
from tests.fakes.market import FakeMarket
from tests.services.conftest import Alerting, Clock, RecordedNotices, acted_on

OWNER, COURIER = 10, 30


async def test_switches_start_at_the_roles_defaults_and_keep_a_users_choice(
    alerting: Alerting, db: Database, box: SecretBox
) -> None:
    await seed_shop(db, box, OWNER, couriers=(COURIER,))
    switches = alerting.switches
    assert await switches.switches(OWNER, Role.OWNER) == dict.fromkeys(Switch, True)
    assert await switches.switches(COURIER, Role.COURIER) == {
        Switch.CANCEL: True,
        Switch.NEW_ORDER: False,
        Switch.DIGEST: False,
        Switch.CHAT: True,
    }
    turned = await switches.toggle(COURIER, Role.COURIER, Switch.DIGEST)
    assert turned[Switch.DIGEST] and await switches.switches(COURIER, Role.COURIER) == turned
    assert (await switches.toggle(OWNER, Role.OWNER, Switch.CANCEL))[Switch.CANCEL] is False


async def test_who_is_told_of_a_request_follows_their_switches(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    clock: Clock,
) -> None:
    shop_id = await seed_shop(db, box, OWNER, couriers=(COURIER,))
    await acted_on(db, clock, shop_id, 42, COURIER)
    await acted_on(db, clock, shop_id, 43, COURIER)
    await alerting.switches.toggle(COURIER, Role.COURIER, Switch.CANCEL)  # the courier: off
    for order_id in (42, 43):
        market.add_order(1001, order_id, "PICKUP")
    market.request_cancel(1001, 42, at=clock.now - dt.timedelta(hours=1))
    await alerting.look()
    await alerting.switches.toggle(COURIER, Role.COURIER, Switch.CANCEL)  # on again
    await alerting.switches.toggle(OWNER, Role.OWNER, Switch.CANCEL)  # the owner: off
    clock.advance(minutes=2)
    market.request_cancel(1001, 43, at=clock.now - dt.timedelta(minutes=1))
    await alerting.look()
    assert notices.alerted(AlertKind.CANCEL) == [(OWNER, 42), (COURIER, 43)]
