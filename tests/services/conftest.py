"""Service tests: the rules without the dispatcher, on a real SQLite file and the fake Market."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from bot.domain.alerts import Alert
from bot.domain.outcomes import Outcome
from bot.domain.records import BatchSummary, Operation, Shop
from bot.domain.retry import RetryPolicy
from bot.market.client import MarketClient
from bot.services.delivery_services import DeliveryServices
from bot.services.operations import Operations
from bot.services.orders import OrdersService
from storage.db import Database
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

    def keys_for(self, user_id: int) -> list[str]:
        return [key for who, key, _ in self.told if who == user_id]


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
