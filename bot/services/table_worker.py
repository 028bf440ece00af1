"""Reads one table file (CSV, XLSX) into the rows of a bulk send, in a process of its own (`TableReader`
starts it through `bot.services.workers`).

The readers in `bot.domain.bulk` bound what they keep and check a deadline between rows, but one call
into expat or csv can still run for seconds on a file made for it (a tag of 600,000 attributes took
1.3 s, the GIL held all along); here that time is this process's, which is killed at the time bound.
This module imports only the standard library and `bot.domain.bulk` (which imports no more), so the
process starts in about 0.1 s. It answers `{"rows": [[line, order, code, service, unreadable], ...]}`
or `{"refused": key, "values": {...}}` with a catalogue key and what fills it.
"""

from __future__ import annotations

import sys
import time

from bot.domain.bulk import BulkFileError, rows_from_file
from bot.services.worker_main import serve

MEMORY = 128 * 1024 * 1024  # the worker's address space; an honest file takes under 30 MiB


def answer(data: bytes) -> dict[str, object]:
    """`python -m bot.services.table_worker SECONDS KIND BOUND`: KIND is "csv" or "xlsx" (as the file
    was sent; a workbook is read as one whatever its name), read within BOUND seconds."""
    kind, deadline = sys.argv[2], time.monotonic() + float(sys.argv[3])
    try:
        rows = rows_from_file(data, kind, deadline)
    except BulkFileError as exc:
        return {"refused": exc.key, "values": exc.args_}
    return {"rows": [[r.line, r.order, r.code, r.service, r.unreadable] for r in rows]}


if __name__ == "__main__":
    serve(answer, memory=MEMORY, too_large="bulk-file-too-much")
