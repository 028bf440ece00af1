"""What would otherwise only grow: old operations (their counts are kept), expired invites, abandoned
conversations, old alerts, the Market's notifications worked on, the ids of buyers' chat messages
(their deliveries, the Telegram messages they became, each chat's newest message looked at), and
people who hold nothing here (a stranger who only sent /start). Run at start and once a day by the
retry worker."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import astuple, dataclass

from bot.domain.clock import utcnow
from storage.db import Database
from storage.repositories import (
    AlertsRepo,
    BatchesRepo,
    ChatDeliveriesRepo,
    ChatPostsRepo,
    ChatWatchRepo,
    ConversationsRepo,
    InvitesRepo,
    MarketInboxRepo,
    OperationsRepo,
    UsersRepo,
)

logger = logging.getLogger(__name__)

OPERATIONS_KEPT = dt.timedelta(days=90)
CONVERSATIONS_KEPT = dt.timedelta(days=7)
ALERTS_KEPT = dt.timedelta(days=30)  # an open cancellation request is kept until it is settled
NOTIFICATIONS_KEPT = dt.timedelta(days=7)  # worked on; what waits is kept until it is
STRANGERS_KEPT = dt.timedelta(days=30)  # since last seen, a user with no shop, team, operation or invite
CHATS_KEPT = dt.timedelta(days=30)  # a buyer's message's ids: its deliveries, posts, its chat's watch


@dataclass(frozen=True, slots=True)
class Pruned:
    operations: int
    invites: int
    conversations: int
    users: int
    notifications: int = 0
    chat_deliveries: int = 0
    chat_posts: int = 0
    chat_watch: int = 0


class Housekeeping:
    def __init__(self, db: Database, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def prune(self) -> Pruned:
        now = self._clock()
        async with self._db.transaction() as tx:
            operations = await OperationsRepo(tx).archive_finished_before(now - OPERATIONS_KEPT)
            await BatchesRepo(tx).delete_empty()
            await AlertsRepo(tx).delete_settled_before(now - ALERTS_KEPT)
        invites = await InvitesRepo(self._db).delete_expired(now)
        conversations = await ConversationsRepo(self._db).forget_untouched_since(now - CONVERSATIONS_KEPT)
        notifications = await MarketInboxRepo(self._db).delete_finished_before(now - NOTIFICATIONS_KEPT)
        async with self._db.transaction() as tx:
            chats = now - CHATS_KEPT
            chat_deliveries = await ChatDeliveriesRepo(tx).delete_before(chats)
            chat_posts = await ChatPostsRepo(tx).delete_before(chats)
            chat_watch = await ChatWatchRepo(tx).delete_before(chats)
        async with self._db.transaction() as tx:
            users = await UsersRepo(tx).forget_strangers(now - STRANGERS_KEPT, now)
        pruned = Pruned(
            operations, invites, conversations, users, notifications, chat_deliveries, chat_posts, chat_watch
        )
        if any(astuple(pruned)):
            logger.info(
                "housekeeping: %d old operations archived, %d expired invites, %d abandoned conversations, "
                "%d users who hold nothing here forgotten, %d old market notifications, "
                "%d old chat deliveries, %d old chat posts, %d chats unwatched",
                operations,
                invites,
                conversations,
                users,
                notifications,
                chat_deliveries,
                chat_posts,
                chat_watch,
            )
        return pruned
