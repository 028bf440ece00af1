"""Bulk sends: many track codes checked in one preview and sent with one «Отправить все».

Each ready line becomes an ordinary operation (the same outbox, idempotency, retries and read-back as
a single send), recorded together with its batch in one transaction. A runner then makes the first
attempts in a few lanes: enough to keep the key's 2 requests in flight busy, few enough that another
user's single send on the same key waits behind at most one of the batch's requests. Lines that need
a retry go to the retry worker like any operation; the batch's report goes out once every line has
ended, also after a restart.

An order gets one POST however many lists name it: a line whose order already has a track code on
its way to the Market (from another list or /track) is not ready in the preview, and recording
leaves out a line whose order got one since its preview (two previews of one list, both confirmed).
A ready line that replaces the order's current track code says so, as /track does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.domain.bulk import MAX_LINES, BulkRow
from bot.domain.clock import utcnow
from bot.domain.errors import Refused
from bot.domain.market_data import BusinessOrder, OrderStatus
from bot.domain.operations import TrackCode
from bot.domain.parsing import (
    InputError,
    match_services,
    parse_order_id,
    parse_track_code,
    written_differently,
)
from bot.domain.records import Batch, BatchSummary, DeliveryServiceRef, Operation, OperationStatus
from bot.services.access import Access
from bot.services.background import Tasks
from bot.services.conversations import InTransaction
from bot.services.notices import Notices
from bot.services.operations import Operations
from bot.services.orders import OrdersService
from storage.db import Database
from storage.repositories import Repos
from storage.secrets import SecretBox

logger = logging.getLogger(__name__)

LANES = 3  # first attempts under way at once per batch: the key's 2 slots, and one waiting
PROGRESS_EVERY = 1.0  # seconds between edits of the progress message


@dataclass(frozen=True, slots=True)
class ReadyLine:
    line: int
    order_id: int
    code: str
    service_id: int
    service_name: str
    replaces: str | None = None  # the order's track code now, which this one replaces
    written: str | None = None  # the code as the list wrote it, when that is not how it goes


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that will not be sent: `reason` names the catalogue text, `args` fill it."""

    line: int
    written: str
    reason: str
    args: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Preview:
    ready: list[ReadyLine]
    bad: list[BadLine]
    too_many: int | None = None  # the batch has more lines than MAX_LINES: nothing is taken
    checked_at: dt.datetime | None = None  # what the preview saw was as of then


@dataclass(frozen=True, slots=True)
class Recorded:
    """What «Отправить все» recorded: the batch (None when no line was left to send), whether this
    press was the first (False: the preview was confirmed before, nothing more is recorded), and the
    lines left out because their order got a track code on its way to the Market since the preview
    (from another list or /track)."""

    batch: Batch | None
    new: bool
    left_out: list[ReadyLine] = field(default_factory=list)


class BulkSends:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        operations: Operations,
        orders: OrdersService,
        notices: Notices,
        *,
        lanes: int = LANES,
        progress_every: float = PROGRESS_EVERY,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self._box = box
        self._operations = operations
        self._orders = orders
        self._notices = notices
        self._lanes = lanes
        self._progress_every = progress_every
        self._clock = clock
        self._runners = Tasks()
        self._reporting = asyncio.Lock()
        self._maybe_unreported = True  # until the database says otherwise (after a restart too)

    @property
    def _repos(self) -> Repos:
        return Repos.on(self._db, self._box)

    # --- the preview ---------------------------------------------------------------------
    async def check(self, access: Access, rows: Sequence[BulkRow]) -> Preview:
        """Which lines can be sent: number and code parsed as if typed, the order found in the shop
        and taking track codes, the service known (or the order's own)."""
        if len(rows) > MAX_LINES:
            return Preview([], [], too_many=len(rows))
        bad: list[BadLine] = []
        parsed: list[tuple[BulkRow, int, str]] = []
        first_line: dict[int, int] = {}
        for row in rows:
            if row.unreadable:
                bad.append(BadLine(row.line, row.order, "bulk-unreadable"))
                continue
            try:
                order_id = parse_order_id(row.order)
                code = parse_track_code(row.code)
            except InputError as exc:
                bad.append(BadLine(row.line, row.order, exc.key, {k: str(v) for k, v in exc.args_.items()}))
                continue
            if order_id in first_line:
                bad.append(BadLine(row.line, row.order, "bulk-repeated", {"line": str(first_line[order_id])}))
                continue
            first_line[order_id] = row.line
            parsed.append((row, order_id, code))
        order_ids = [order_id for _, order_id, _ in parsed]
        checked_at = self._clock()
        in_flight = await self._operations.codes_on_the_way(access.shop_id, order_ids)
        orders = await self._orders.many(access, order_ids)
        services = await self._orders.services(access)
        ready: list[ReadyLine] = []
        for row, order_id, code in parsed:
            order = orders.get(order_id)
            problem = _problem(order, order_id, code, row, services, in_flight.get(order_id))
            if isinstance(problem, BadLine):
                bad.append(problem)
            else:
                written = row.code if written_differently(row.code, code) else None
                ready.append(
                    ReadyLine(
                        row.line, order_id, code, problem.id, problem.name, _replaced(order, code), written
                    )
                )
        return Preview(ready, sorted(bad, key=lambda b: b.line), checked_at=checked_at)

    # --- sending -------------------------------------------------------------------------
    async def record(
        self,
        access: Access,
        lines: Sequence[ReadyLine],
        nonce: str,
        *,
        checked_at: dt.datetime | None = None,
        also: InTransaction | None = None,
    ) -> Recorded:
        """Record the batch and its lines in one transaction (`also` runs in it: the preview is
        dropped there). A line is left out whose order has a track code on its way to the Market by
        now, or one that went through since the preview was `checked_at` (the same list confirmed from
        another preview, or /track meanwhile): sending it would be a second POST for the order.
        Confirming a preview again records nothing more."""
        key = f"{access.user_id}:{nonce}"
        now = self._clock()
        async with self._db.transaction() as tx:
            repos = Repos.on(tx, self._box)
            existing = await repos.batches.by_idempotency_key(key)
            if existing is not None:
                return Recorded(existing, new=False)
            in_flight = await self._operations.codes_on_the_way(
                access.shop_id, [line.order_id for line in lines], tx, since=checked_at
            )
            left_out = [line for line in lines if line.order_id in in_flight]
            sent = [line for line in lines if line.order_id not in in_flight]
            batch = await self._create(repos, access, key, sent, now) if sent else None
            if also is not None:
                await also(tx)
        if left_out:
            logger.info("batch %s: %d lines left out, already on their way", key, len(left_out))
        return Recorded(batch, new=True, left_out=left_out)

    async def _create(
        self, repos: Repos, access: Access, key: str, lines: list[ReadyLine], now: dt.datetime
    ) -> Batch:
        await repos.users.ensure(access.user_id)
        self._maybe_unreported = True
        batch = await repos.batches.create(
            user_id=access.user_id, shop_id=access.shop_id, idempotency_key=key, size=len(lines)
        )
        for n, line in enumerate(lines):
            await repos.operations.create(
                user_id=access.user_id,
                shop_id=access.shop_id,
                order_id=line.order_id,
                action=TrackCode(track_code=line.code, delivery_service_id=line.service_id),
                idempotency_key=f"{key}:{n}",
                now=now,
                batch_id=batch.id,
            )
        return batch

    async def confirmed_before(self, user_id: int, nonce: str) -> Batch | None:
        """The batch this preview already recorded (a second tap, or a tap redelivered)."""
        return await self._repos.batches.by_idempotency_key(f"{user_id}:{nonce}")

    def start(self, batch: Batch, message_id: int | None) -> asyncio.Task[None]:
        """Send the batch in the background; its progress is shown on `message_id`. A fault that stops
        the runner is logged (what it did not reach goes to the retry worker)."""
        name = f"batch-{batch.id}"
        task = self._runners.named(name)
        if task is None:
            task = self._runners.spawn(self._run(batch, message_id), name=name)
        return task

    async def stop(self, grace: float) -> None:
        """Let running batches go on for `grace` seconds, then stop them: what they did not reach
        waits in the outbox and is sent after the restart (the worker finds it)."""
        await self._runners.stop(grace)

    async def _run(self, batch: Batch, message_id: int | None) -> None:
        try:
            await self._send_lines(batch, message_id)
        finally:
            # Whatever the runner did not reach (stopped, or a fault in the bot) goes to the retry worker.
            left = await self._repos.operations.release_batch(batch.id, self._clock())
            if left:
                logger.warning("batch %s: %d lines left to the retry worker", batch.id, left)
        await self.report_finished([batch.id])

    async def _send_lines(self, batch: Batch, message_id: int | None) -> None:
        if message_id is not None:
            await self._repos.batches.set_message(batch.id, message_id)
            batch = batch.model_copy(update={"message_id": message_id})
        lines = iter(await self._repos.operations.of_batch(batch.id, waiting_only=True))
        shown_at = time.monotonic()

        async def lane() -> None:
            nonlocal shown_at
            for operation in lines:  # one shared iterator: each lane takes the next line
                await self._operations.run(operation)
                if time.monotonic() - shown_at >= self._progress_every:
                    shown_at = time.monotonic()
                    await self._notices.batch_progress(await self._repos.batches.summary(batch))

        started = time.monotonic()
        await asyncio.gather(*(lane() for _ in range(self._lanes)))
        summary = await self._repos.batches.summary(batch)
        logger.info(
            "batch %s: %d lines in %.1f s, done=%d failed=%d waiting=%d",
            batch.id,
            batch.size,
            time.monotonic() - started,
            summary.done,
            summary.failed,
            summary.waiting,
        )
        if summary.waiting:
            await self._notices.batch_progress(summary)

    async def report_finished(self, only: Sequence[int] | None = None) -> int:
        """Deliver the report of every batch whose lines have all ended and that nobody was told of
        (the runner's own at its end; the worker's for lines retried later or after a restart)."""
        told = 0
        if only is None and not self._maybe_unreported:  # the worker asks every turn: no query for none
            return told
        async with self._reporting:
            for batch in await self._repos.batches.finished_unreported():
                if only is not None and batch.id not in only:
                    continue
                summary = await self._repos.batches.summary(batch)
                failed = [
                    op
                    for op in await self._repos.operations.of_batch(batch.id)
                    if op.status is OperationStatus.FAILED
                ]
                if not await self._notices.batch_report(summary, failed):
                    continue  # Telegram could not take it now: the worker tries again
                async with self._db.transaction() as tx:
                    repos = Repos.on(tx, self._box)
                    await repos.batches.mark_reported(batch.id)
                    await repos.operations.mark_batch_told(batch.id)
                await self._owner_notice(summary)
                told += 1
            self._maybe_unreported = await self._repos.batches.any_unreported()
        return told

    async def _owner_notice(self, summary: BatchSummary) -> None:
        """One line to an owner who asked to hear of couriers' operations (not one per line)."""
        batch = summary.batch
        shop = await self._repos.shops.get(batch.shop_id)
        if shop is None or not shop.notify_owner or batch.user_id == shop.owner_id:
            return
        name = (await self._repos.users.names([batch.user_id])).get(batch.user_id, str(batch.user_id))
        await self._notices.tell(
            shop.owner_id,
            "bulk-owner-notice",
            name=name,
            shop=shop.title,
            size=batch.size,
            done=summary.done,
            failed=summary.failed,
        )

    # --- /history ------------------------------------------------------------------------
    async def lines(self, access: Access, batch_id: int) -> tuple[Batch, list[Operation]]:
        """A batch's lines, for its owner or the shop's owner. Raises `Refused("stale-button")` otherwise
        (the button is not this user's, or no longer is)."""
        batch = await self._repos.batches.get(batch_id)
        if batch is None or batch.shop_id != access.shop_id:
            raise Refused("stale-button")
        if not access.is_owner and batch.user_id != access.user_id:
            raise Refused("stale-button")
        return batch, await self._repos.operations.of_batch(batch_id)

    async def recent(self, access: Access, limit: int = 20) -> list[BatchSummary]:
        mine_only = None if access.is_owner else access.user_id
        return await self._repos.batches.recent(access.shop_id, user_id=mine_only, limit=limit)


def _problem(
    order: BusinessOrder | None,
    order_id: int,
    code: str,
    row: BulkRow,
    services: list[DeliveryServiceRef],
    in_flight: str | None,
) -> BadLine | DeliveryServiceRef:
    """Why a parsed line cannot be sent, or the service it goes with. `in_flight`: the track code the
    order has on its way to the Market now, if any."""
    if order is None:
        return BadLine(row.line, row.order, "bulk-not-found", {"id": str(order_id)})
    if not order.can_take_track:
        status = order.status.value if isinstance(order.status, OrderStatus) else order.status
        return BadLine(row.line, row.order, "bulk-status", {"id": str(order_id), "status": status})
    delivery = order.delivery
    if row.service:
        matches = match_services(row.service, services)
        exact = [s for s in matches if s.name.casefold() == row.service.casefold()]
        if len(exact) == 1 or len(matches) == 1:
            service = (exact or matches)[0]
        else:
            key = "bulk-service-several" if matches else "bulk-service-unknown"
            return BadLine(row.line, row.order, key, {"service": row.service})
    else:
        own = delivery.delivery_service_id if delivery else None
        if own is None:
            return BadLine(row.line, row.order, "bulk-service-missing", {"id": str(order_id)})
        service = next((s for s in services if s.id == own), DeliveryServiceRef(id=own, name=str(own)))
    tracks = (delivery.tracks if delivery else None) or []
    if any(t.track_code == code and t.delivery_service_id == service.id for t in tracks):
        return BadLine(row.line, row.order, "bulk-already", {"id": str(order_id), "code": code})
    if in_flight == code:
        return BadLine(row.line, row.order, "bulk-being-sent", {"id": str(order_id)})
    if in_flight is not None:
        return BadLine(row.line, row.order, "bulk-other-being-sent", {"id": str(order_id), "code": in_flight})
    return service


def _replaced(order: BusinessOrder | None, code: str) -> str | None:
    """The track code a line's code replaces: the order's own, when it has another (as /track warns)."""
    delivery = order.delivery if order else None
    current = next(
        (t.track_code for t in (delivery.tracks if delivery else None) or [] if t.track_code), None
    )
    return current if current != code else None
