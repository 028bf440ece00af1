"""Worker processes (one per photo or table file): answered within the time bound and gone then, a
crash logged without what the user sent, memory bounded by the kernel."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from bot.domain.bulk import BulkFileError
from bot.services.tables import TableReader
from bot.services.workers import ROOT, Workers


def workers_running() -> list[str]:
    """The worker processes this test process has started and not reaped (zombies included)."""
    children = {pid for task in Path("/proc/self/task").iterdir() for pid in _read(task / "children").split()}
    return [pid for pid in children if "bot.services." in _read(Path(f"/proc/{pid}/cmdline"))]


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except (FileNotFoundError, ProcessLookupError):  # it has just ended
        return ""


async def test_a_table_not_read_within_the_bound_is_too_slow_and_its_worker_is_gone() -> None:
    with pytest.raises(BulkFileError) as slow:  # a worker takes longer than this just to start
        await TableReader(time_bound=0.01).read(b"52311001;RA123456789RU\n", "csv")
    assert slow.value.key == "bulk-file-too-slow"
    assert workers_running() == []


async def test_a_crashed_worker_is_logged_without_what_it_was_given(caplog: pytest.LogCaptureFixture) -> None:
    # The table worker started without its arguments: a bug, as a crash looks.
    answer = await Workers("bot.services.table_worker", time_bound=5, concurrency=1).answer(b"52311001;RA1\n")
    assert answer is None
    [logged] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "bot.services.table_worker failed (exit 1)" in logged and "IndexError" in logged
    assert "52311001" not in caplog.text
    assert workers_running() == []


def serve(work: str, data: bytes) -> subprocess.CompletedProcess[bytes]:
    """`worker_main.serve` run with `work` (a lambda's source) on `data`, in a process of its own."""
    script = f"from bot.services.worker_main import serve; serve({work}, memory=2**28, too_large='too-large')"
    return subprocess.run(  # noqa: S603 (this interpreter, a script written here)
        [sys.executable, "-c", script, "5"], input=data, capture_output=True, check=False, cwd=ROOT
    )


def test_a_worker_out_of_memory_answers_too_large_and_takes_no_more() -> None:
    """Its address space is limited at start: a gigabyte asked for is a MemoryError, answered."""
    run = serve("lambda data: {'n': len(bytearray(2**30))}", b"")
    assert json.loads(run.stdout) == {"refused": "too-large"}


def test_what_a_crash_leaves_for_the_log_does_not_quote_the_input() -> None:
    run = serve("lambda data: {'n': int(data)}", b"52311001;RA123456789RU")
    assert run.returncode == 1
    assert b"ValueError" in run.stderr and b"52311001" not in run.stderr
