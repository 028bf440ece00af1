"""What every worker process does (`bot.services.workers` starts them): limits first, then the input on
stdin, the answer on stdout. It imports only the standard library, so a worker starts quickly.

The kernel holds the limits, whatever the reading code does: CPU seconds (the reader kills the
worker at its time bound anyway; this ends it should the reader be gone), and the address space,
so that a file that makes a decoder allocate more than an honest one needs gets `MemoryError`
(answered with `too_large`) instead of taking the machine's memory. A crash leaves its traceback on
stderr for the reader to log, without the error's message: that may quote the input.
"""

from __future__ import annotations

import json
import resource
import sys
import traceback
from collections.abc import Callable
from types import TracebackType


def serve(work: Callable[[bytes], dict[str, object]], *, memory: int, too_large: str) -> None:
    """`python -m <worker> SECONDS [ARGS]`: within SECONDS of CPU time and `memory` bytes of address
    space, `work` turns stdin into the JSON object written to stdout; `{"refused": too_large}` when
    the memory ran out."""
    sys.excepthook = _without_message
    cpu_seconds = int(sys.argv[1])
    _limit(resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 1)
    _limit(resource.RLIMIT_AS, memory, memory)
    try:
        answer = work(sys.stdin.buffer.read())
    except MemoryError:
        answer = {"refused": too_large}
    json.dump(answer, sys.stdout)


def _limit(which: int, soft: int, hard: int) -> None:
    """Lower a limit (never raise one the process was started under)."""
    _, was = resource.getrlimit(which)
    if was != resource.RLIM_INFINITY:
        soft, hard = min(soft, was), min(hard, was)
    resource.setrlimit(which, (soft, hard))


def _without_message(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    """Where the worker crashed and with what kind of error, not what the error says."""
    traceback.print_tb(trace, file=sys.stderr)
    print(kind.__name__, file=sys.stderr)
