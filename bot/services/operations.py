"""Confirmed operations: recorded before anything is sent, sent at most once to completion.

A first attempt is sent straight away. Any later attempt (after a retryable failure, or for an
operation found half-sent after a restart) first reads the order back from the Market: if what the
operation sets is already there, the earlier request landed and the operation is done without a
second write. That is what makes a lost response, a timeout whose request arrived, or a crash between
the Market's reply and its recording safe to retry.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from bot.domain.clock import utcnow
from bot.domain.errors import NotAllowedForCouriers, Refused
from bot.domain.market_data import BusinessOrder, OrderStatus
from bot.domain.operations import AnyAction, ChatReply, DeliveryDate, Failure, StatusStep, TrackCode
from bot.domain.outcomes import Outcome
from bot.domain.records import BatchSummary, Operation, OperationStatus, Shop
from bot.domain.retry import RetryPolicy
from bot.market.client import MarketClient
from bot.market.errors import MarketError
from bot.market.writer import chat_reply_landed, send
from bot.services.access import Access
from bot.services.conversations import InTransaction
from bot.services.notices import Notices
from bot.services.orders import OrdersService
from storage.db import Database, Executor
from storage.repositories import Repos
from storage.secrets import SecretBox, SecretDecryptError

logger = logging.getLogger(__name__)
CLOCKS_APART = dt.timedelta(minutes=5)  # how far the Market's clock may be from ours


@dataclass(frozen=True, slots=True)
class HistoryPage:
    operations: list[Operation]
    who: dict[int, str]  # user id → name, for the owner's view of the whole team
    service_names: dict[int, str]
    batches: list[BatchSummary] = field(default_factory=list)


class Operations:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        market: MarketClient,
        notices: Notices,
        orders: OrdersService,
        policy: RetryPolicy | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self._box = box
        self._market = market
        self._notices = notices
        self._orders = orders
        self.policy = policy or RetryPolicy()
        self._clock = clock
        self.on_queued: Callable[[], None] = lambda: None  # the retry worker's wake-up
        # Told of every operation that ended (done or failed), wherever it ended; e.g. an answer to a
        # cancellation request settles its alert.
        self.on_final: list[Callable[[Outcome], Awaitable[None]]] = []
        self.on_retry: Callable[[], None] = lambda: None  # an attempt after the first (the metrics)

    @property
    def _repos(self) -> Repos:
        return Repos.on(self._db, self._box)

    @staticmethod
    def _key(user_id: int, nonce: str) -> str:
        return f"{user_id}:{nonce}"

    async def confirmed_before(self, user_id: int, nonce: str) -> Outcome | None:
        """The operation this confirmation card already recorded (a second tap, or a redelivery)."""
        done = await self._repos.operations.by_idempotency_key(self._key(user_id, nonce))
        return Outcome.recorded(done) if done else None

    async def own(self, access: Access, op_id: int) -> Operation:
        """The user's own operation in the shop they act for (a button under its result names it).
        Raises `Refused("stale-button")` for anyone else's, another shop's, or one archived since."""
        operation = await self._repos.operations.get(op_id)
        if operation is None or operation.user_id != access.user_id or operation.shop_id != access.shop_id:
            raise Refused("stale-button")
        return operation

    async def confirm(self, access: Access, order_id: int, action: AnyAction, nonce: str) -> Outcome:
        """Record the operation, then make its first attempt. A repeated confirmation sends nothing."""
        recorded = await self.record(access, order_id, action, nonce)
        return recorded if isinstance(recorded, Outcome) else await self.first_attempt(recorded)

    async def record(
        self,
        access: Access,
        order_id: int,
        action: AnyAction,
        nonce: str,
        *,
        also: InTransaction | None = None,
    ) -> Operation | Outcome:
        """Record a confirmed operation, due at once; `also` runs in the same transaction (the draft
        is cleared there). Returns the new operation, or the outcome of the one this confirmation
        already recorded. Once this returns, the operation cannot be lost: the worker finishes it.
        Raises `NotAllowedForCouriers` for a date move the owner does not let couriers make, and for
        a courier's cancellation; `Refused` for a track code while one is on its way (`_make_way`)."""
        courier = not access.is_owner
        if (
            courier
            and isinstance(action, DeliveryDate)
            and not access.shop.courier_dates.allows(action.reason)
        ):
            raise NotAllowedForCouriers("date-buyer-only")
        if courier and isinstance(action, StatusStep) and action.status is OrderStatus.CANCELLED:
            raise NotAllowedForCouriers("team-not-owner")  # only the owner cancels an order
        if courier and isinstance(action, ChatReply) and not access.shop.couriers_write:
            raise NotAllowedForCouriers("chat-couriers-off")
        async with self._db.transaction() as tx:
            repos = Repos.on(tx, self._box)
            existing = await repos.operations.by_idempotency_key(self._key(access.user_id, nonce))
            if existing is not None:
                return Outcome.recorded(existing)
            if isinstance(action, TrackCode):
                await self._make_way(tx, access.shop_id, order_id, action)
            await repos.users.ensure(access.user_id)
            operation = await repos.operations.create(
                user_id=access.user_id,
                shop_id=access.shop_id,
                order_id=order_id,
                action=action,
                idempotency_key=self._key(access.user_id, nonce),
                now=self._clock(),
            )
            if also is not None:
                await also(tx)
        return operation

    async def _make_way(self, tx: Executor, shop_id: int, order_id: int, code: TrackCode) -> None:
        """One track code on its way to an order at a time. The same one already on its way: refused,
        nothing to do. Another one waiting for a retry (a list's line after a busy Market): the newer
        one replaces it, the older is never sent over it (its user is told). Another one being sent
        right now: refused until its answer is in."""
        repo = Repos.on(tx, self._box).operations
        for other in await repo.on_the_way(shop_id, [order_id], code.kind):
            if not isinstance(other.action, TrackCode):
                continue
            if other.action.track_code == code.track_code:
                raise Refused("track-already-on-its-way", id=order_id)
            if other.status is OperationStatus.SENDING:
                raise Refused("track-other-being-sent", id=order_id, code=other.action.track_code)
            replaced = Failure(None, "SUPERSEDED", "replaced by a newer track code for the order")
            await repo.finish(other.id, OperationStatus.FAILED, replaced.to_json(), self._clock())

    async def codes_on_the_way(
        self,
        shop_id: int,
        order_ids: Iterable[int],
        ex: Executor | None = None,
        *,
        since: dt.datetime | None = None,
    ) -> dict[int, str]:
        """The track code each of these orders has on its way to the Market in the shop (pending or
        being sent, from a list or /track): sending another now would be a second POST for the order,
        of the same code or a rival one. `since`: also the codes that went through since then (what a
        confirmation sees that its preview did not). `ex`: read inside that transaction (where a send
        is recorded, so two confirmations cannot both pass)."""
        repo = Repos.on(ex or self._db, self._box).operations
        kind = TrackCode.model_fields["kind"].default
        found = await repo.on_the_way(shop_id, sorted(set(order_ids)), kind, since)
        return {op.order_id: op.action.track_code for op in found if isinstance(op.action, TrackCode)}

    async def first_attempt(self, operation: Operation) -> Outcome:
        """Send a just-recorded operation now, while its user waits for the answer."""
        outcome = await self.run(operation)
        if outcome is None:  # the worker got to it first
            current = await self._repos.operations.get(operation.id) or operation
            return Outcome.recorded(current)
        action = operation.action
        if outcome.ok and isinstance(action, TrackCode):
            await self._repos.recent_services.remember(operation.user_id, action.delivery_service_id)
        await self._ended(outcome)
        await self._owner_notice(outcome)
        return outcome

    async def told(self, op_id: int) -> None:
        """Its user has seen the result: nothing is owed any more."""
        await self._repos.operations.mark_told(op_id)

    async def report(self, outcome: Outcome) -> None:
        """Tell the user (and the owner, if they asked) how a queued operation ended. A batch's line
        is told in its batch's report instead."""
        await self._ended(outcome)
        if outcome.operation.batch_id is not None:
            return
        await self._owner_notice(outcome)
        if await self._notices.result_later(outcome):
            await self.told(outcome.operation.id)

    async def _ended(self, outcome: Outcome) -> None:
        if outcome.pending:
            return
        for listener in self.on_final:
            try:
                await listener(outcome)
            except Exception:  # a listener's fault must not undo what the Market already took
                logger.exception("operation %s: a listener of its end failed", outcome.operation.id)

    async def deliver_owed(self, older_than: dt.timedelta = dt.timedelta(seconds=30)) -> int:
        """Results recorded but never told (a crash came between, or Telegram failed): tell them now."""
        owed = await self._repos.operations.results_owed(self._clock() - older_than)
        for operation in owed:
            outcome = Outcome(operation, failure=Failure.from_json(operation.last_error))
            try:
                told = await self._notices.result_later(outcome)
            except Exception:  # one result that cannot be told (a bug) must not hold back the rest
                logger.exception("operation %s: its result could not be told", operation.id)
                continue
            if told:
                await self.told(operation.id)
        return len(owed)

    async def _owner_notice(self, outcome: Outcome) -> None:
        op = outcome.operation
        shop = await self._repos.shops.get(op.shop_id)
        if shop is None or not shop.notify_owner or op.user_id == shop.owner_id or outcome.pending:
            return
        await self._notices.owner_notice(shop, outcome)

    async def run(self, operation: Operation) -> Outcome | None:
        """One attempt at a pending operation; None if another task holds it."""
        repo = self._repos.operations
        if not await repo.claim(operation.id, self._clock()):
            return None
        claimed = await repo.get(operation.id)
        if claimed is None:
            return None
        if claimed.attempts > 1:
            self.on_retry()
        failure = await self._attempt(claimed)
        now = self._clock()
        if failure is None:
            await repo.finish(claimed.id, OperationStatus.DONE, None, now)
        elif failure.retryable and (when := self.policy.next_attempt(claimed, failure, now)) is not None:
            await repo.reschedule(claimed.id, failure.to_json(), when, now)
            self.on_queued()
        else:
            await repo.finish(claimed.id, OperationStatus.FAILED, failure.to_json(), now)
        final = await repo.get(claimed.id) or claimed
        logger.info(
            "operation %s kind=%s attempt=%d status=%s%s",
            final.id,
            final.action.kind,
            final.attempts,
            final.status.value,
            f" error={failure.code}" if failure else "",
        )
        return Outcome(final, failure=failure)

    async def _attempt(self, operation: Operation) -> Failure | None:
        """Send once (reading the order back first on a repeat); whatever goes wrong becomes a Failure,
        so an operation never stays `sending` while the bot runs."""
        repos = self._repos
        try:
            api_key = await repos.shops.api_key(operation.shop_id)
        except SecretDecryptError:
            return Failure(None, "KEY_UNREADABLE", "the shop's API key cannot be read with this SECRET_KEY")
        shop = await repos.shops.get(operation.shop_id)
        if api_key is None or shop is None:
            return Failure(None, "SHOP_GONE", "shop disconnected")
        try:
            if operation.attempts > 1 and await self._landed(api_key, shop, operation):
                logger.info("operation %s had already landed; not sending again", operation.id)
                return None
            try:
                await send(
                    self._market,
                    api_key,
                    shop.campaign_id,
                    operation.order_id,
                    operation.action,
                    business_id=shop.business_id,
                )
            finally:  # whatever the answer, the order may have changed: a listed copy is not shown again
                self._orders.forget(shop.id, operation.order_id)
        except MarketError as exc:
            return exc.failure
        except Exception:  # a bug or an answer the bot cannot read: logged, retried
            logger.exception("operation %s: unexpected failure", operation.id)
            return Failure(None, "INTERNAL", "unexpected error in the bot", retryable=True)
        return None

    async def _landed(self, api_key: str, shop: Shop, operation: Operation) -> bool:
        """An earlier attempt landed although its answer was lost: the order read back shows it, or,
        for a chat message, the chat's history does."""
        action = operation.action
        if isinstance(action, ChatReply):
            since = operation.created_at - CLOCKS_APART
            return shop.business_id is not None and await chat_reply_landed(
                self._market, api_key, shop.business_id, action, since
            )
        order = await self._orders.lookup(api_key, shop, operation.order_id)
        if order is None or not action.applied(order):
            return False
        self._orders.forget(shop.id, operation.order_id, read_back=order)
        return True

    async def order_cancelled(self, shop_id: int, order: BusinessOrder) -> list[Outcome]:
        """The order was cancelled (as just read): what still waits to be sent to it will not go. One
        whose effect the order already shows (a cancellation, an accepted request) is done; the rest
        fail with the reason, told like any result. One being sent right now ends with its answer."""
        gone = Failure(None, "ORDER_CANCELLED", "the order was cancelled")
        repo = self._repos.operations
        ended: list[Outcome] = []
        for waiting in await repo.queued_for_order(shop_id, order.order_id):
            if not waiting.action.seen_on_order:
                continue  # a message to the buyer's chat still goes: the chat outlives the order
            done = waiting.action.applied(order)
            status = OperationStatus.DONE if done else OperationStatus.FAILED
            if not await repo.stop(waiting.id, status, None if done else gone.to_json(), self._clock()):
                continue
            final = await repo.get(waiting.id) or waiting
            outcome = Outcome(final, failure=None if done else gone)
            await self.report(outcome)
            ended.append(outcome)
        return ended

    async def due(self, limit: int = 50) -> list[Operation]:
        return await self._repos.operations.due(self._clock(), limit=limit)

    async def recover_interrupted(self) -> int:
        return await self._repos.operations.recover_interrupted(self._clock())

    async def history(self, access: Access, service_names: dict[int, str], limit: int = 20) -> HistoryPage:
        """The newest operations and bulk sends: the whole team's for the owner, one's own for a
        courier."""
        repos = self._repos
        mine_only = None if access.is_owner else access.user_id
        ops = await repos.operations.history(access.shop_id, user_id=mine_only, limit=limit)
        batches = await repos.batches.recent(access.shop_id, user_id=mine_only, limit=limit)
        users = [op.user_id for op in ops] + [b.batch.user_id for b in batches]
        who = await repos.users.names(users) if access.is_owner else {}
        return HistoryPage(ops, who, service_names, batches)
