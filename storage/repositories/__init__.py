"""Repositories: one module per table, the only code with SQL (always parameterised).

Each takes an `Executor`: the database for a single statement, or a transaction when a service
composes several repositories into one change (`async with db.transaction() as tx: Repos(tx, box)`).
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Executor
from storage.repositories.alert_deliveries import AlertDeliveriesRepo
from storage.repositories.alert_switches import AlertSwitchesRepo
from storage.repositories.alerts import AlertsRepo
from storage.repositories.batches import BatchesRepo
from storage.repositories.chat_deliveries import ChatDeliveriesRepo
from storage.repositories.chat_posts import ChatPostsRepo
from storage.repositories.chat_watch import ChatWatchRepo
from storage.repositories.conversations import ConversationsRepo
from storage.repositories.delivery_services import DeliveryServicesRepo
from storage.repositories.invites import InvitesRepo
from storage.repositories.market_inbox import MarketInboxRepo
from storage.repositories.memberships import MembershipsRepo
from storage.repositories.meta import MetaRepo
from storage.repositories.operations import OperationsRepo
from storage.repositories.order_watch import OrderWatchRepo
from storage.repositories.preferences import PreferencesRepo
from storage.repositories.recent_services import RecentServicesRepo
from storage.repositories.shops import ShopsRepo
from storage.repositories.users import UsersRepo
from storage.secrets import SecretBox

__all__ = [
    "AlertDeliveriesRepo",
    "AlertSwitchesRepo",
    "AlertsRepo",
    "BatchesRepo",
    "ChatDeliveriesRepo",
    "ChatPostsRepo",
    "ChatWatchRepo",
    "ConversationsRepo",
    "DeliveryServicesRepo",
    "InvitesRepo",
    "MarketInboxRepo",
    "MembershipsRepo",
    "MetaRepo",
    "OperationsRepo",
    "OrderWatchRepo",
    "PreferencesRepo",
    "RecentServicesRepo",
    "Repos",
    "ShopsRepo",
    "UsersRepo",
]


@dataclass(frozen=True, slots=True)
class Repos:
    """Every repository on one executor (cheap to build: one per transaction or call)."""

    users: UsersRepo
    shops: ShopsRepo
    memberships: MembershipsRepo
    preferences: PreferencesRepo
    recent_services: RecentServicesRepo
    operations: OperationsRepo
    invites: InvitesRepo
    delivery_services: DeliveryServicesRepo
    meta: MetaRepo
    batches: BatchesRepo
    order_watch: OrderWatchRepo
    alerts: AlertsRepo
    alert_deliveries: AlertDeliveriesRepo
    alert_switches: AlertSwitchesRepo
    market_inbox: MarketInboxRepo
    chat_deliveries: ChatDeliveriesRepo
    chat_posts: ChatPostsRepo
    chat_watch: ChatWatchRepo

    @classmethod
    def on(cls, ex: Executor, box: SecretBox) -> Repos:
        return cls(
            users=UsersRepo(ex),
            shops=ShopsRepo(ex, box),
            memberships=MembershipsRepo(ex),
            preferences=PreferencesRepo(ex),
            recent_services=RecentServicesRepo(ex),
            operations=OperationsRepo(ex),
            invites=InvitesRepo(ex),
            delivery_services=DeliveryServicesRepo(ex),
            meta=MetaRepo(ex),
            batches=BatchesRepo(ex),
            order_watch=OrderWatchRepo(ex),
            alerts=AlertsRepo(ex),
            alert_deliveries=AlertDeliveriesRepo(ex),
            alert_switches=AlertSwitchesRepo(ex),
            market_inbox=MarketInboxRepo(ex),
            chat_deliveries=ChatDeliveriesRepo(ex),
            chat_posts=ChatPostsRepo(ex),
            chat_watch=ChatWatchRepo(ex),
        )
