"""Reading what a user sends (a label photo, a table file) in a process of its own, killed at a time bound.

One hostile input may keep the reading code in C for seconds: a zxing pass over a big picture, expat
building one tag of 600,000 attributes. In a thread that time is the event loop's (the GIL is held)
and cannot be cut short, and the memory it takes is the bot's. A process per input runs on its own
GIL, is killed at the deadline, and its CPU time and memory are limited by the kernel (each worker
sets its limits first thing: `bot.services.worker_main`). It costs about 0.1 s to start and nothing
stays running between inputs.

A worker is a module run as `python -m <module> <CPU seconds>`: the input's bytes on its stdin, one
JSON object on its stdout, exit status 0. Anything else is a crash, logged with the end of what it
wrote to stderr; the input itself is never logged (a label or a list of orders is personal data).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import sys
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]  # where `python -m bot.services.…` finds the bot's packages


class Workers:
    """Runs `module` on one input at a time per slot, `concurrency` slots (this bot runs on small
    machines), each input answered within `time_bound` seconds of arriving (a wait for a slot
    included)."""

    def __init__(self, module: str, *, time_bound: float, concurrency: int) -> None:
        self._module = module
        self._time_bound = time_bound
        self._slots = asyncio.Semaphore(concurrency)

    async def answer(self, data: bytes, *args: str) -> dict[str, Any] | None:
        """The worker's answer, or None when it crashed (logged). Raises `TimeoutError` at the time
        bound; the worker is killed and reaped by then."""
        async with asyncio.timeout(self._time_bound), self._slots:
            returncode, out, err = await self._run(data, args)
        try:
            answer = json.loads(out) if returncode == 0 else None
        except ValueError:
            answer = None
        if isinstance(answer, dict):
            return answer
        tail = err.decode(errors="replace")[-800:]
        logger.error("%s failed (exit %s): %s", self._module, returncode, tail)
        return None

    async def _run(self, data: bytes, args: tuple[str, ...]) -> tuple[int | None, bytes, bytes]:
        """Run the worker on `data`. When this is cancelled (at the deadline), the worker is killed and
        waited for before the cancellation goes on: no process is left behind, nor a zombie."""
        cpu_seconds = math.ceil(self._time_bound) + 1  # should this process die before killing it
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            self._module,
            str(cpu_seconds),
            *args,
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await worker.communicate(data)
        finally:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
        return worker.returncode, out, err
