"""What runs in the background, in one place: a loop that looks for work every few seconds (the retry
worker, the alerts poller) and a set of tasks started for one piece of work each (a batch's runner, a
retried operation, notices sent after a reply).

Both outlive a fault in what they run (it is logged with its traceback) and stop within a deadline:
what is still running then is cancelled, so a SIGTERM ends the process in seconds whatever hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Coroutine
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


async def finish_within(tasks: Collection[asyncio.Task[Any]], grace: float) -> set[asyncio.Task[Any]]:
    """Let `tasks` run on for `grace` seconds, then cancel those still running and wait for them to
    end. Returns the ones cancelled."""
    running = [task for task in tasks if not task.done()]
    if not running:
        return set()
    _, late = await asyncio.wait(running, timeout=max(0.0, grace))
    for task in late:
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    return late


class Loop:
    """Runs `tick` now, then again `every` seconds after each one ends, or sooner when woken.

    `every` is read before each wait, so it may follow a setting that changes. A tick that raises is
    logged and the loop goes on to the next; `stop` lets a tick in progress finish within its grace.
    A tick may look at `stopping` to start nothing new once a stop is asked.
    """

    def __init__(
        self, name: str, tick: Callable[[], Awaitable[None]], every: float | Callable[[], float]
    ) -> None:
        self.name = name
        self._tick = tick
        self._every = every
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def alive(self) -> bool:
        """The loop is running (for /healthz): started, not stopped, not ended by a cancellation."""
        return self._task is not None and not self._task.done()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def start(self) -> None:
        if self.alive:
            return
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name=self.name)

    def wake(self) -> None:
        """Run the next tick now (or as soon as the one in progress ends) instead of after `every`."""
        self._wake.set()

    async def stop(self, grace: float) -> None:
        """No tick starts from now; the one in progress gets `grace` seconds, then it is cancelled."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            await finish_within([self._task], grace)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                await self._tick()
            except Exception:  # the loop must outlive any one failure; it is logged
                logger.exception("%s: a turn failed; trying again", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval())

    def _interval(self) -> float:
        return self._every() if callable(self._every) else self._every


class Looping:
    """A service whose work runs in its `Loop` (the alerts poller, the chats' feed): started, stopped
    within a grace (a turn in progress finishes or is cancelled; what it recorded and did not send yet
    goes out after the next start), woken, and alive for /healthz."""

    _loop: Loop

    async def start(self) -> None:
        self._loop.start()

    async def stop(self, grace: float = 5.0) -> None:
        await self._loop.stop(grace)

    def wake(self) -> None:
        self._loop.wake()

    @property
    def alive(self) -> bool:
        return self._loop.alive


class Tasks:
    """Tasks started in the background and not awaited by anyone: kept referenced until they end (the
    event loop holds only a weak reference), a fault in one logged with its traceback, stopped together
    within a deadline."""

    def __init__(self) -> None:
        self._running: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        task = asyncio.create_task(coro, name=name)
        self._running.add(task)
        task.add_done_callback(self._ended)
        return task

    def named(self, name: str) -> asyncio.Task[Any] | None:
        """The running task of this name, if any (to start one piece of work once)."""
        return next((task for task in self._running if task.get_name() == name), None)

    @property
    def running(self) -> list[asyncio.Task[Any]]:
        return list(self._running)

    def __len__(self) -> int:
        return len(self._running)

    async def stop(self, grace: float) -> int:
        """Let the running tasks go on for `grace` seconds, then cancel the rest. Returns how many were
        cancelled."""
        return len(await finish_within(self._running, grace))

    def _ended(self, task: asyncio.Task[Any]) -> None:
        self._running.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.error("%s stopped on a fault", task.get_name(), exc_info=exc)
