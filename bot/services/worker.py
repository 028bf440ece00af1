"""The background worker that retries pending operations and has users told the final result."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging

from bot.domain.records import Operation
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
        self._poll_interval = poll_interval
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._loop_task: asyncio.Task[None] | None = None
        operations.on_queued = self.wake

    def wake(self) -> None:
        self._wake.set()

    @property
    def alive(self) -> bool:
        """The worker's loop is running (for /healthz)."""
        return self._loop_task is not None and not self._loop_task.done()

    async def start(self) -> None:
        recovered = await self._operations.recover_interrupted()
        if recovered:
            logger.warning(
                "%d operation(s) were being sent when the bot stopped; re-checking them", recovered
            )
        self._loop_task = asyncio.create_task(self._loop(), name="retry-worker")

    async def stop(self, grace: float = 5.0) -> None:
        """Stop taking work; let attempts in flight finish within `grace` seconds, then cancel them.

        A cancelled attempt leaves its operation `sending`; the next start re-checks it with the
        Market before sending anything again, so nothing is lost or sent twice.
        """
        deadline = asyncio.get_running_loop().time() + grace
        self._stopping.set()
        self._wake.set()
        if self._loop_task is not None:
            # The loop may be waiting for a free slot; it starts nothing once stop is asked.
            _, pending = await asyncio.wait([self._loop_task], timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._in_flight:
            left = max(0.0, deadline - asyncio.get_running_loop().time())
            _, late = await asyncio.wait(list(self._in_flight.values()), timeout=left)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                await self._start_due()
                await self._operations.deliver_owed(self._owed_after)
                if self._batches is not None:
                    await self._batches.report_finished()
                await self._keep_house()
            except Exception:  # the worker must outlive any one failure; it is logged
                logger.exception("retry worker: could not look for due operations; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)

    async def _keep_house(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._housekeeping is not None and now - self._housekept_at >= HOUSEKEEPING_EVERY:
            self._housekept_at = now
            await self._housekeeping.prune()

    async def _start_due(self) -> None:
        for op in await self._operations.due(limit=50):
            if op.id in self._in_flight:
                continue
            await self._slots.acquire()
            if self._stopping.is_set():
                self._slots.release()
                return
            task = asyncio.create_task(self._process(op), name=f"operation-{op.id}")
            self._in_flight[op.id] = task
            task.add_done_callback(functools.partial(self._done, op.id, op.batch_id is not None))

    def _done(self, op_id: int, of_batch: bool, _: asyncio.Task[None]) -> None:
        self._in_flight.pop(op_id, None)
        self._slots.release()
        if of_batch:  # its batch may have ended: the report goes out on the next turn, not in 2 s
            self.wake()

    async def _process(self, op: Operation) -> None:
        try:
            outcome = await self._operations.run(op)
            if outcome is not None and not outcome.pending:
                await self._operations.report(outcome)
        except Exception:  # one operation's failure must not stop the others; logged
            logger.exception("retry worker: operation %s failed unexpectedly", op.id)
