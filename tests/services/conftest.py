"""Service tests: the rules without the dispatcher, on a real SQLite file and the fake Market."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from bot.domain.alerts import Alert, AlertKind
from bot.domain.clock import utcnow
from bot.domain.operations import TrackCode
from bot.domain.outcomes import Outcome
from bot.domain.records import BatchSummary, ChatPost, Operation, Shop
from bot.domain.retry import RetryPolicy
from bot.market.client import MarketClient
from bot.services.alerts.answers import CancellationAnswers
from bot.services.alerts.outbox import AlertOutbox
from bot.services.alerts.poller import AlertPoller
from bot.services.alerts.switches import AlertSwitches
from bot.services.chats.feed import ChatFeed
from bot.services.delivery_services import DeliveryServices
from bot.services.notices import ChatNote
from bot.services.notifications.effects import Effects
from bot.services.operations import Operations
from bot.services.orders import OrdersService
from storage.db import Database
from storage.repositories import OperationsRepo
from storage.secrets import SecretBox

if TYPE_CHECKING:
    from bot.services.notices import Notice


@dataclass
class RecordedNotices:
    """A `Notices` that remembers what would have been said, to whom."""

    told: list[tuple[int, str, dict[str, object]]] = field(default_factory=list)
    results: list[Outcome] = field(default_factory=list)
    owner_notices: list[tuple[int, Outcome]] = field(default_factory=list)
    progress: list[BatchSummary] = field(default_factory=list)
    reports: list[tuple[BatchSummary, list[Operation]]] = field(default_factory=list)
    alerts: list[tuple[int, Alert]] = field(default_factory=list)
    settled: list[tuple[int, int, Alert, str | None]] = field(default_factory=list)
    role_changes: list[int] = field(default_factory=list)
    soon: list[Notice] = field(default_factory=list)  # told in the background (also in `told`)
    chat_notes: list[tuple[int, ChatNote]] = field(default_factory=list)
    chat_answers: list[tuple[ChatPost, str, bool]] = field(default_factory=list)
    next_message_id: int = 1000  # the Telegram message ids a buyer's messages become

    async def tell(self, user_id: int, key: str, **args: object) -> None:
        self.told.append((user_id, key, args))

    def tell_soon(self, notices: Sequence[Notice]) -> None:
        self.soon.extend(notices)
        self.told.extend((n.user_id, n.key, n.args) for n in notices)

    async def result_later(self, outcome: Outcome) -> bool:
        self.results.append(outcome)
        return True

    async def owner_notice(self, shop: Shop, outcome: Outcome) -> None:
        self.owner_notices.append((shop.owner_id, outcome))

    async def batch_progress(self, summary: BatchSummary) -> None:
        self.progress.append(summary)

    async def batch_report(self, summary: BatchSummary, failed: list[Operation]) -> bool:
        self.reports.append((summary, failed))
        return True

    async def alert(
        self, user_id: int, alert: Alert, shop: Shop, now: dt.datetime
    ) -> tuple[bool, int | None]:
        self.alerts.append((user_id, alert))
        return True, 900 + len(self.alerts)

    async def alert_settled(
        self, user_id: int, message_id: int, alert: Alert, request: Alert, shop: Shop, who: str | None
    ) -> None:
        self.settled.append((user_id, message_id, request, who))

    async def roles_changed(self, user_ids: Iterable[int]) -> None:
        self.role_changes.extend(user_ids)

    async def chat_message(self, user_id: int, note: ChatNote) -> tuple[bool, list[tuple[int, bool]]]:
        self.chat_notes.append((user_id, note))
        posts = [(self.next_message_id, True)]
        posts += [
            (self.next_message_id + n, False) for n, f in enumerate(note.files, 1) if f.data is not None
        ]
        self.next_message_id += len(posts)
        return True, posts

    async def chat_answered(self, post: ChatPost, who: str, may_reply: bool) -> None:
        self.chat_answers.append((post, who, may_reply))

    def keys_for(self, user_id: int) -> list[str]:
        return [key for who, key, _ in self.told if who == user_id]

    def alerted(self, kind: AlertKind) -> list[tuple[int, int]]:
        """(user, order) of each alert of this kind sent."""
        return [(user, alert.order_id) for user, alert in self.alerts if alert.kind is kind]


@pytest.fixture
def notices() -> RecordedNotices:
    return RecordedNotices()


def operations_with(
    db: Database,
    box: SecretBox,
    client: MarketClient,
    notices: RecordedNotices,
    policy: RetryPolicy | None = None,
) -> Operations:
    """The operations service as the bot builds it (its read-backs go through the orders service)."""
    orders = OrdersService(db, box, client, DeliveryServices(client, db))
    return Operations(db, box, client, notices, orders, policy)


@dataclass
class Clock:
    """The time the services see, moved by the test."""

    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    """A minute ahead of the real time: what the fake Market changes during a test (stamped with the
    real time) is inside the windows the poller reads."""
    return Clock(utcnow().replace(microsecond=0) + dt.timedelta(minutes=1))


@dataclass
class Alerting:
    """The alert services as the bot wires them, on one clock."""

    poller: AlertPoller
    outbox: AlertOutbox
    answers: CancellationAnswers
    switches: AlertSwitches
    operations: Operations
    orders: OrdersService
    effects: Effects  # what the Market's notifications do
    chats: ChatFeed  # buyers' messages to the team

    async def look(self) -> None:
        """A poller's turn without the morning digest (due or not by the hour the test runs at): poll
        every shop, remind, send."""
        await self.poller.poll_due(every=True)
        await self.poller.remind()
        await self.outbox.deliver()


def alerting_with(
    db: Database, box: SecretBox, client: MarketClient, notices: RecordedNotices, clock: Clock
) -> Alerting:
    orders = OrdersService(db, box, client, DeliveryServices(client, db))
    operations = Operations(db, box, client, notices, orders, clock=clock)
    outbox = AlertOutbox(db, box, notices, clock=clock)
    chats = ChatFeed(db, box, client, orders, notices, clock=clock)
    return Alerting(
        poller=AlertPoller(db, box, client, orders, outbox, clock=clock),
        outbox=outbox,
        answers=CancellationAnswers(db, box, operations, outbox, clock=clock),
        switches=AlertSwitches(db),
        operations=operations,
        orders=orders,
        effects=Effects(db, box, orders, operations, outbox, chats, clock=clock),
        chats=chats,
    )


@pytest.fixture
def alerting(
    db: Database, box: SecretBox, client: MarketClient, notices: RecordedNotices, clock: Clock
) -> Alerting:
    return alerting_with(db, box, client, notices, clock)


async def acted_on(db: Database, clock: Clock, shop_id: int, order_id: int, *couriers: int) -> None:
    """Each courier, in turn, sends the order a track code (the last of them is its courier)."""
    for courier in couriers:
        await OperationsRepo(db).create(
            user_id=courier,
            shop_id=shop_id,
            order_id=order_id,
            action=TrackCode(track_code="CD-1", delivery_service_id=51),
            now=clock(),
        )
