"""Barcodes from a photo of a parcel label (zxing-cpp), read in a process of its own within a time bound.

How a picture is decoded is `bot.services.barcode_worker`'s; which barcode is a track code is for
`bot.domain.track_codes` to say. This module keeps the bound: a picture gets its answer within
TIME_BOUND of arriving (waiting for a free slot included), and the process decoding it is killed
then, so no decoding work goes on past the answer. A thread could not promise that: one zxing pass
on a big picture takes seconds and cannot be interrupted (12 s measured for an 8 s bound).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import sys
from pathlib import Path

from bot.domain.errors import FileRefused
from bot.domain.track_codes import Scanned

logger = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024  # Telegram lets a bot download up to 20 MB
TIME_BOUND = 8.0  # seconds a picture may take
WORKER = Path(__file__).with_name("barcode_worker.py")


class BarcodeReader:
    """Decodes pictures in worker processes, two at a time (this bot runs on small machines).

    A process per picture: it starts in about 0.1 s (it imports only Pillow and zxing-cpp) and is
    killed when the bound is reached, so nothing stays running or holds memory between photos."""

    def __init__(self, *, time_bound: float = TIME_BOUND, concurrency: int = 2) -> None:
        self._time_bound = time_bound
        self._slots = asyncio.Semaphore(concurrency)

    async def read(self, data: bytes) -> list[Scanned]:
        """The barcodes on a picture. Raises `FileRefused` (not a picture, too big, too slow)."""
        if len(data) > MAX_BYTES:
            raise FileRefused("scan-too-big")
        try:
            async with asyncio.timeout(self._time_bound), self._slots:
                found = await self._decode(data)
        except TimeoutError:
            raise FileRefused("scan-timeout") from None
        logger.info("barcodes read: %d", len(found))  # never what they say: a label is personal data
        return found

    async def _decode(self, data: bytes) -> list[Scanned]:
        """The worker's answer. The worker is killed when this is cancelled (at the deadline)."""
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            str(WORKER),
            str(math.ceil(self._time_bound) + 1),  # its CPU seconds, should this process die first
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
        return _answer(worker.returncode, out, err)


def _answer(returncode: int | None, out: bytes, err: bytes) -> list[Scanned]:
    """The barcodes the worker found, or `FileRefused` with its reason. A worker that crashed (a
    hostile file, or a bug) leaves its reason in the log; the user hears the picture was not read."""
    try:
        answer = json.loads(out) if returncode == 0 else None
    except ValueError:
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("refused"), str):
        raise FileRefused(answer["refused"])
    if isinstance(answer, dict) and isinstance(answer.get("found"), list):
        return [Scanned(str(text), str(fmt)) for text, fmt in answer["found"]]
    logger.error("barcode worker failed (exit %s): %s", returncode, err.decode(errors="replace")[-800:])
    raise FileRefused("scan-not-image")
