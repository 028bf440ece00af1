"""The background worker that retries pending operations and has users told the final result."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable

from bot.domain.records import Operation
from bot.services.background import Loop, Tasks
from bot.services.bulk import BulkSends
from bot.services.housekeeping import Housekeeping
from bot.services.operations import Operations

logger = logging.getLogger(__name__)
HOUSEKEEPING_EVERY = 24 * 3600.0  # seconds; and once at start


class RetryWorker:
    def __init__(
        self,
        operations: Operations,
        *,
        poll_interval: float = 2.0,
        concurrency: int = 8,
        owed_after: dt.timedelta = dt.timedelta(seconds=30),
        housekeeping: Housekeeping | None = None,
        batches: BulkSends | None = None,
    ) -> None:
        self._operations = operations
        self._batches = batches
        self._housekeeping = housekeeping
        self._housekept_at = -float("inf")
        self._owed_after = owed_after
        self._slots = asyncio.Semaphore(concurrency)
        self._loop = Loop("retry-worker", self._turn, every=poll_interval)
        self._in_flight = Tasks()
        operations.on_queued = self.wake

    def wake(self) -> None:
        self._loop.wake()

    @property
    def alive(self) -> bool:
        """The worker's loop is running (for /healthz)."""
        return self._loop.alive

    async def start(self) -> None:
        recovered = await self._operations.recover_interrupted()
        if recovered:
            logger.warning(
                "%d operation(s) were being sent when the bot stopped; re-checking them", recovered
            )
        self._loop.start()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop taking work; let attempts in flight finish within `grace` seconds, then cancel them.

        A cancelled attempt leaves its operation `sending`; the next start re-checks it with the
        Market before sending anything again, so nothing is lost or sent twice.
        """
        deadline = asyncio.get_running_loop().time() + grace
        # The loop may be waiting for a free slot; it starts nothing once stop is asked.
        await self._loop.stop(grace)
        await self._in_flight.stop(deadline - asyncio.get_running_loop().time())

    async def _turn(self) -> None:
        """Each duty in turn; one that fails (logged) does not keep the others from running."""
        duties: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("start due operations", self._start_due),
            ("tell owed results", lambda: self._operations.deliver_owed(self._owed_after)),
            ("report finished batches", self._report_batches),
            ("keep house", self._keep_house),
        ]
        for name, duty in duties:
            try:
                await duty()
            except Exception:  # a bug in one duty: logged, and the next duty still runs
                logger.exception("retry worker: %s failed", name)

    async def _report_batches(self) -> None:
        if self._batches is not None:
            await self._batches.report_finished()

    async def _keep_house(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._housekeeping is not None and now - self._housekept_at >= HOUSEKEEPING_EVERY:
            self._housekept_at = now
            await self._housekeeping.prune()

    async def _start_due(self) -> None:
        for op in await self._operations.due(limit=50):
            if self._in_flight.named(_task_name(op)) is not None:
                continue
            await self._slots.acquire()
            if self._loop.stopping:
                self._slots.release()
                return
            task = self._in_flight.spawn(self._process(op), name=_task_name(op))
            task.add_done_callback(functools.partial(self._done, op.batch_id is not None))

    def _done(self, of_batch: bool, _: asyncio.Task[None]) -> None:
        self._slots.release()
        if of_batch:  # its batch may have ended: the report goes out on the next turn, not in 2 s
            self.wake()

    async def _process(self, op: Operation) -> None:
        """One attempt, and the user told when it is final (a fault is logged by `Tasks`: one
        operation's failure does not stop the others)."""
        outcome = await self._operations.run(op)
        if outcome is not None and not outcome.pending:
            await self._operations.report(outcome)


def _task_name(op: Operation) -> str:
    return f"operation-{op.id}"
