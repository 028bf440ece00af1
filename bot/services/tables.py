"""Table files (CSV, XLSX) read into the rows of a bulk send within a time bound, in a process of
their own (`bot.services.table_worker`, started by `bot.services.workers`).

Not a thread: the readers in `bot.domain.bulk` are bounded (a 2 MB file; a workbook's parts checked
by their unpacked size before any is unpacked; the first columns and rows kept; every text cut
short), but expat builds one tag in one call, and a tag of 600,000 attributes held the GIL, and so
the event loop, 1.3 s. A process per file runs on its own GIL, within limits of CPU time and memory,
and is killed at the bound; it costs about 0.1 s to start, which an honest file of 500 lines does not
notice.
"""

from __future__ import annotations

import logging
import time
from typing import Literal, TypeAlias

from bot.domain.bulk import BulkFileError, BulkRow
from bot.services.workers import Workers

logger = logging.getLogger(__name__)

TIME_BOUND = 5.0  # seconds a file may take; an honest one of 500 lines takes a few tenths

TableKind: TypeAlias = Literal["csv", "xlsx"]


class TableReader:
    """Reads table files in worker processes, two at a time (this bot runs on small machines)."""

    def __init__(self, *, time_bound: float = TIME_BOUND, concurrency: int = 2) -> None:
        self._time_bound = time_bound
        self._workers = Workers("bot.services.table_worker", time_bound=time_bound, concurrency=concurrency)

    async def read(self, data: bytes, kind: TableKind) -> list[BulkRow]:
        """The rows of the file. Raises `BulkFileError` (unreadable, too large unpacked, too many rows,
        too slow)."""
        started = time.monotonic()
        try:
            answer = await self._workers.answer(data, kind, str(self._time_bound))
        except TimeoutError:
            raise BulkFileError("bulk-file-too-slow") from None
        if answer is None:  # the worker crashed (logged)
            raise BulkFileError("bulk-file-unreadable")
        if isinstance(answer.get("refused"), str):
            logger.info("%s file refused: %s (%d bytes)", kind, answer["refused"], len(data))
            raise BulkFileError(answer["refused"], **answer.get("values", {}))
        rows = [
            BulkRow(int(line), str(order), str(code), str(service), bool(unreadable))
            for line, order, code, service, unreadable in answer["rows"]
        ]
        logger.info("%s file read: %d rows in %.0f ms", kind, len(rows), (time.monotonic() - started) * 1000)
        return rows
