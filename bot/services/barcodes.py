"""Barcodes from a photo of a parcel label (zxing-cpp), read in a process of its own within a time bound.

How a picture is decoded is `bot.services.barcode_worker`'s; which barcode is a track code is for
`bot.domain.track_codes` to say. This module keeps the bound: a picture gets its answer within
TIME_BOUND of arriving (waiting for a free slot included), and the process decoding it is killed
then (`bot.services.workers`), so no decoding work goes on past the answer. A thread could not
promise that: one zxing pass on a big picture takes seconds and cannot be interrupted (12 s measured
for an 8 s bound).
"""

from __future__ import annotations

import logging

from bot.domain.errors import FileRefused
from bot.domain.track_codes import Scanned
from bot.services.workers import Workers

logger = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024  # Telegram lets a bot download up to 20 MB
TIME_BOUND = 8.0  # seconds a picture may take


class BarcodeReader:
    """Decodes pictures in worker processes, two at a time (this bot runs on small machines).

    A process per picture: it starts in about 0.1 s (it imports only Pillow and zxing-cpp) and is
    killed when the bound is reached, so nothing stays running or holds memory between photos."""

    def __init__(self, *, time_bound: float = TIME_BOUND, concurrency: int = 2) -> None:
        self._workers = Workers("bot.services.barcode_worker", time_bound=time_bound, concurrency=concurrency)

    async def read(self, data: bytes) -> list[Scanned]:
        """The barcodes on a picture. Raises `FileRefused` (not a picture, too big, too slow)."""
        if len(data) > MAX_BYTES:
            raise FileRefused("scan-too-big")
        try:
            answer = await self._workers.answer(data)
        except TimeoutError:
            raise FileRefused("scan-timeout") from None
        if answer is not None and isinstance(answer.get("refused"), str):
            raise FileRefused(answer["refused"])
        if answer is None or not isinstance(answer.get("found"), list):
            raise FileRefused("scan-not-image")  # the worker crashed (a hostile file, or a bug): logged
        found = [Scanned(str(text), str(fmt)) for text, fmt in answer["found"]]
        logger.info("barcodes read: %d", len(found))  # never what they say: a label is personal data
        return found
