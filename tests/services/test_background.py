"""The background helper: a loop outlives a failing turn, wakes early, stops within its grace; a set of
tasks logs a task's fault and stops within its grace. Events, not clocks: the only times are bounds
generous enough never to be reached on a slow machine."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.services.background import Loop, Tasks

BOUND = 5.0  # seconds a test may wait for what happens at once
HOUR = 3600.0  # an interval no test waits out


def faults(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR and r.name == "bot.services.background"]


async def test_a_failing_turn_is_logged_once_with_its_traceback_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    turns = 0
    third = asyncio.Event()

    async def tick() -> None:
        nonlocal turns
        turns += 1
        if turns <= 2:
            raise RuntimeError(f"fault {turns}")
        third.set()

    loop = Loop("poller", tick, every=0.01)
    loop.start()
    try:
        async with asyncio.timeout(BOUND):
            await third.wait()
        assert loop.alive
    finally:
        await loop.stop(BOUND)
    logged = faults(caplog)
    assert [str(r.exc_info[1]) for r in logged if r.exc_info] == ["fault 1", "fault 2"]
    assert len(logged) == 2 and all("poller" in r.getMessage() for r in logged)
    assert not loop.alive


async def test_wake_runs_a_turn_before_the_interval() -> None:
    turned = asyncio.Queue[None]()

    async def tick() -> None:
        turned.put_nowait(None)

    loop = Loop("poller", tick, every=HOUR)
    loop.start()
    try:
        async with asyncio.timeout(BOUND):
            await turned.get()  # the first turn, at start
            loop.wake()
            await turned.get()  # the second, an hour early
    finally:
        await loop.stop(BOUND)


async def test_the_interval_is_read_before_each_wait() -> None:
    every = HOUR
    turned = asyncio.Queue[None]()

    async def tick() -> None:
        turned.put_nowait(None)

    loop = Loop("poller", tick, every=lambda: every)
    loop.start()
    try:
        async with asyncio.timeout(BOUND):
            await turned.get()
            every = 0.01  # a setting changed: the wait after the next turn follows it
            loop.wake()
            await turned.get()
            await turned.get()  # not woken: the new interval ran out
    finally:
        await loop.stop(BOUND)


async def test_stop_cancels_a_turn_that_overruns_its_grace() -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def tick() -> None:
        started.set()
        try:
            await asyncio.Event().wait()  # never ends by itself
        except asyncio.CancelledError:
            cancelled.set()
            raise

    loop = Loop("poller", tick, every=HOUR)
    loop.start()
    async with asyncio.timeout(BOUND):
        await started.wait()
        await loop.stop(0.01)
    assert cancelled.is_set() and not loop.alive


async def test_stop_lets_a_turn_finish_within_its_grace_and_starts_no_other() -> None:
    started, release = asyncio.Event(), asyncio.Event()
    turns: list[str] = []

    async def tick() -> None:
        started.set()
        await release.wait()
        turns.append("finished")

    loop = Loop("poller", tick, every=0.0)  # were it not stopping, the next turn would start at once
    loop.start()
    async with asyncio.timeout(BOUND):
        await started.wait()
        stopping = asyncio.create_task(loop.stop(HOUR))
        await asyncio.sleep(0)
        assert loop.stopping and not stopping.done()
        release.set()
        await stopping
    assert turns == ["finished"] and not loop.alive


async def test_a_loop_not_started_is_not_alive_and_stops_at_once() -> None:
    async def tick() -> None:
        raise AssertionError("never run")

    loop = Loop("poller", tick, every=HOUR)
    assert not loop.alive
    async with asyncio.timeout(BOUND):
        await loop.stop(HOUR)


async def test_a_task_that_fails_is_logged_with_its_traceback_and_let_go(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = Tasks()

    async def failing() -> None:
        raise RuntimeError("a bug")

    async def fine() -> None:
        pass

    await asyncio.gather(
        tasks.spawn(failing(), name="batch-7"), tasks.spawn(fine(), name="batch-8"), return_exceptions=True
    )
    [logged] = faults(caplog)
    assert logged.getMessage() == "batch-7 stopped on a fault"
    assert logged.exc_info is not None and str(logged.exc_info[1]) == "a bug"
    assert len(tasks) == 0 and tasks.named("batch-7") is None


async def test_stop_lets_quick_tasks_end_and_cancels_late_ones(caplog: pytest.LogCaptureFixture) -> None:
    tasks = Tasks()
    release = asyncio.Event()
    finished: list[str] = []

    async def work(name: str, wait: asyncio.Event) -> None:
        await wait.wait()
        finished.append(name)

    quick = tasks.spawn(work("quick", release), name="quick")
    late = tasks.spawn(work("late", asyncio.Event()), name="late")
    assert len(tasks) == 2 and tasks.named("late") is late and set(tasks.running) == {quick, late}
    release.set()
    async with asyncio.timeout(BOUND):
        cancelled = await tasks.stop(0.05)
    assert cancelled == 1 and late.cancelled() and finished == ["quick"]
    assert len(tasks) == 0 and faults(caplog) == [], "a cancelled task is not a fault"


async def test_stopping_no_tasks_returns_at_once() -> None:
    async with asyncio.timeout(BOUND):
        assert await Tasks().stop(HOUR) == 0
