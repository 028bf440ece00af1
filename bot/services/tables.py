"""Table files (CSV, XLSX) read into the rows of a bulk send off the event loop, within a time bound.

A worker thread, not a process: the readers in `bot.domain.bulk` are bounded themselves (a 2 MB file;
a workbook's parts checked by their unpacked size before any is unpacked; only the first columns and
rows kept; every text cut short) and stream through expat and csv a chunk or a row at a time, so the
thread holds the GIL only briefly at a time, lets the event loop run in between, and stops on its own
at the deadline it checks between rows. A subprocess would add a Python start (and its ~30 MB) to
every file for no bound these do not already give.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Literal, TypeAlias

from bot.domain.bulk import BulkFileError, BulkRow, rows_from_csv, rows_from_xlsx

logger = logging.getLogger(__name__)

TIME_BOUND = 5.0  # seconds a file may take; an honest one of 500 lines takes a few hundredths

TableKind: TypeAlias = Literal["csv", "xlsx"]


class TableReader:
    """Reads table files in worker threads, two at a time (this bot runs on small machines)."""

    def __init__(self, *, time_bound: float = TIME_BOUND, concurrency: int = 2) -> None:
        self._time_bound = time_bound
        self._slots = asyncio.Semaphore(concurrency)

    async def read(self, data: bytes, kind: TableKind) -> list[BulkRow]:
        """The rows of the file. Raises `BulkFileError` (unreadable, too large unpacked, too slow)."""
        parse = rows_from_xlsx if kind == "xlsx" else rows_from_csv
        async with self._slots:
            started = time.monotonic()
            task = asyncio.to_thread(parse, data, started + self._time_bound)
            try:
                # The thread checks the deadline between rows itself, so it stops soon after.
                rows = await asyncio.wait_for(task, timeout=self._time_bound + 1.0)
            except BulkFileError as exc:
                logger.info("%s file refused: %s (%d bytes)", kind, exc.key, len(data))
                raise
            except TimeoutError:
                raise BulkFileError("bulk-file-too-slow") from None
        logger.info("%s file read: %d rows in %.0f ms", kind, len(rows), (time.monotonic() - started) * 1000)
        return rows
