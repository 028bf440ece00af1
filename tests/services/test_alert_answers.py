"""Answers to cancellation requests, without Telegram: one answer per request (whoever claims it
first), refused for a press that is not this shop's request, freed again when the Market refuses it,
and settled on every message about the request when the Market takes it."""

from __future__ import annotations

import pytest

from bot.domain.alerts import AlertKind, Answer, Facts
from bot.domain.errors import AnswerTaken, Refused
from bot.domain.outcomes import Outcome
from bot.domain.records import Operation
from bot.services.access import Access, AccessService
from storage.db import Database
from storage.repositories import AlertsRepo, UsersRepo
from storage.secrets import SecretBox
from tests.conftest import add_courier, seed_shop
from tests.fakes.market import FakeMarket
from tests.services.conftest import Alerting, Clock, RecordedNotices, acted_on

OWNER, COURIER, OTHER_OWNER = 10, 30, 20


async def access_of(db: Database, box: SecretBox, user_id: int, shop_id: int) -> Access:
    access = await AccessService(db, box).to(user_id, shop_id)
    assert access is not None
    return access


async def request_of(db: Database, shop_id: int, order_id: int) -> int:
    request = await AlertsRepo(db).cancel_request(shop_id, order_id)
    assert request is not None
    return request.id


@pytest.fixture
async def shop_id(db: Database, box: SecretBox, market: FakeMarket, alerting: Alerting, clock: Clock) -> int:
    """A shop whose buyer asked to cancel order 42; the owner and the order's courier were told."""
    shop_id = await seed_shop(db, box, OWNER, couriers=(COURIER,))
    await UsersRepo(db).upsert(OWNER, "ru", "Анна")
    await acted_on(db, clock, shop_id, 42, COURIER)
    market.add_order(1001, 42, "DELIVERY")
    market.request_cancel(1001, 42)
    await alerting.look()
    return shop_id


async def test_a_request_is_answered_once_and_then_shows_who_answered(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    shop_id: int,
) -> None:
    request_id = await request_of(db, shop_id, 42)
    owner, courier = await access_of(db, box, OWNER, shop_id), await access_of(db, box, COURIER, shop_id)
    claimed = await alerting.answers.claim(owner, request_id, Answer.DELIVERED, "press-1")
    assert isinstance(claimed, Operation)
    with pytest.raises(AnswerTaken) as taken:  # while the owner's answer is on its way
        await alerting.answers.claim(courier, request_id, Answer.IN_DELIVERY, "press-2")
    assert (taken.value.who, taken.value.answer) == ("Анна", Answer.DELIVERED.value)

    outcome = await alerting.operations.first_attempt(claimed)
    assert outcome.ok
    [call] = market.calls("acceptOrderCancellation")
    assert call.body == {"accepted": False, "reason": "ORDER_DELIVERED"}
    again = await alerting.answers.claim(owner, request_id, Answer.DELIVERED, "press-1")
    assert isinstance(again, Outcome) and again.operation.id == claimed.id, "the same press, handled"
    with pytest.raises(AnswerTaken):
        await alerting.answers.claim(courier, request_id, Answer.ACCEPT, "press-3")
    assert len(market.calls("acceptOrderCancellation")) == 1
    request = await AlertsRepo(db).get(request_id)
    assert request is not None and request.answered and request.answered_by == OWNER
    assert [(user, who) for user, _, _, who in notices.settled] == [(OWNER, "Анна"), (COURIER, "Анна")]


async def test_an_answer_the_market_refuses_frees_the_request(
    alerting: Alerting,
    db: Database,
    box: SecretBox,
    market: FakeMarket,
    notices: RecordedNotices,
    shop_id: int,
) -> None:
    request_id = await request_of(db, shop_id, 42)
    owner, courier = await access_of(db, box, OWNER, shop_id), await access_of(db, box, COURIER, shop_id)
    market.fail("acceptOrderCancellation", status=400, code="BAD_REQUEST", message="Order 42 is locked")
    claimed = await alerting.answers.claim(owner, request_id, Answer.ACCEPT, "press-1")
    assert isinstance(claimed, Operation)
    assert not (await alerting.operations.first_attempt(claimed)).ok
    request = await AlertsRepo(db).get(request_id)
    assert request is not None and request.answer is None and request.answered_by is None
    assert notices.settled == []

    again = await alerting.answers.claim(courier, request_id, Answer.IN_DELIVERY, "press-2")
    assert isinstance(again, Operation) and again.user_id == COURIER
    assert (await alerting.operations.first_attempt(again)).ok
    assert [c.body for c in market.calls("acceptOrderCancellation")] == [
        {"accepted": True},
        {"accepted": False, "reason": "ORDER_IN_DELIVERY"},
    ]


async def test_a_reminder_answers_its_request(
    alerting: Alerting, db: Database, box: SecretBox, clock: Clock, notices: RecordedNotices, shop_id: int
) -> None:
    request_id = await request_of(db, shop_id, 42)
    clock.advance(hours=46, minutes=30)  # the request was made just now: 1 h 30 min left
    await alerting.poller.remind()
    await alerting.outbox.deliver()
    [(_, reminder)] = [(u, a) for u, a in notices.alerts if a.kind is AlertKind.REMINDER and u == OWNER]
    owner = await access_of(db, box, OWNER, shop_id)
    claimed = await alerting.answers.claim(owner, reminder.id, Answer.ACCEPT, "press-1")
    assert isinstance(claimed, Operation) and claimed.order_id == 42
    request = await AlertsRepo(db).get(request_id)
    assert request is not None and request.answer == Answer.ACCEPT.value and request.answered_by == OWNER


async def test_a_press_that_is_not_this_shops_request_is_refused_as_stale(
    alerting: Alerting, db: Database, box: SecretBox, market: FakeMarket, shop_id: int
) -> None:
    request_id = await request_of(db, shop_id, 42)
    other_shop = await seed_shop(db, box, OTHER_OWNER, campaign=1002, domain="fbs-shop.example")
    new_order = await AlertsRepo(db).record(shop_id, 51, AlertKind.NEW_ORDER, Facts())
    assert new_order is not None
    owner = await access_of(db, box, OWNER, shop_id)
    presses = [
        (owner, request_id + 100),  # forged
        (await access_of(db, box, OTHER_OWNER, other_shop), request_id),  # another shop's
        (owner, new_order),  # a new order's alert: nothing to answer
    ]
    for access, alert_id in presses:
        with pytest.raises(Refused) as refused:
            await alerting.answers.claim(access, alert_id, Answer.ACCEPT, f"press-{alert_id}")
        assert refused.value.key == "stale-button" and not isinstance(refused.value, AnswerTaken)
    assert market.calls("acceptOrderCancellation") == []
    request = await AlertsRepo(db).get(request_id)
    assert request is not None and request.answer is None


async def test_a_courier_not_asked_about_a_request_cannot_answer_it(
    alerting: Alerting, db: Database, box: SecretBox, market: FakeMarket, shop_id: int
) -> None:
    """Only the owners and the courier who last acted on the order are asked; another courier of the
    shop who forges the owner's button is refused, and nothing reaches the Market."""
    bystander = 31
    await add_courier(db, box, shop_id, bystander)
    request_id = await request_of(db, shop_id, 42)
    with pytest.raises(Refused) as refused:
        await alerting.answers.claim(
            await access_of(db, box, bystander, shop_id), request_id, Answer.ACCEPT, "p"
        )
    assert refused.value.key == "stale-button"
    courier = await access_of(db, box, COURIER, shop_id)  # the order's courier was asked: may answer
    assert isinstance(await alerting.answers.claim(courier, request_id, Answer.IN_DELIVERY, "p2"), Operation)
    assert market.calls("acceptOrderCancellation") == []
