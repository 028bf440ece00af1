"""Barcodes from a photo of a parcel label (zxing-cpp), read off the event loop within a time bound.

Phone photos are hard: the label at an angle or upside down, the barcode small in a big picture,
a little blur. Passes, cheapest first, until one finds something: the whole picture (zxing tries it
turned by 90°, downscaled and inverted itself), then sharpened with another binarizer, then turned
by 45° both ways, then overlapping crops enlarged twice. Which barcode is a track code is for
`bot.domain.track_codes` to say.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Iterator

import zxingcpp
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from bot.domain.errors import FileRefused
from bot.domain.track_codes import Scanned

logger = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024  # Telegram lets a bot download up to 20 MB
MAX_PIXELS = 50_000_000  # a bigger picture is no phone photo (and might be a decompression bomb)
MAX_SIDE = 4000  # a phone photo's size; larger ones are scaled down to it
CROP_SIDE = 2500  # a crop is enlarged to at most this
TIME_BOUND = 8.0  # seconds a picture may take
FORMATS = zxingcpp.barcode_formats_from_str("Code128,Code39,Code93,EAN13,ITF,QRCode,DataMatrix,PDF417")


def _scaled(image: Image.Image, side: int) -> Image.Image:
    factor = side / max(image.size)
    if factor >= 1:
        return image
    return image.resize((round(image.width * factor), round(image.height * factor)), Image.Resampling.BOX)


def _crops(image: Image.Image) -> Iterator[Image.Image]:
    """Nine overlapping crops, each half the picture's width and height, enlarged twice."""
    w, h = image.size
    for top in (0, h // 4, h // 2):
        for left in (0, w // 4, w // 2):
            crop = _scaled(image.crop((left, top, left + w // 2, top + h // 2)), CROP_SIDE // 2)
            yield crop.resize((crop.width * 2, crop.height * 2), Image.Resampling.BICUBIC)


def _passes(image: Image.Image) -> Iterator[tuple[Image.Image, zxingcpp.Binarizer]]:
    """The whole picture (zxing also tries it rotated by 90°, inverted and downscaled), then the
    harder cases."""
    local = zxingcpp.Binarizer.LocalAverage
    yield image, local
    yield image.filter(ImageFilter.UnsharpMask(radius=2, percent=150)), zxingcpp.Binarizer.GlobalHistogram
    for angle in (45, -45):
        yield image.rotate(angle, expand=True, fillcolor=255), local
    for crop in _crops(image):
        yield crop, local


def decode(data: bytes, deadline: float) -> list[Scanned]:
    """Every barcode the first successful pass finds, in reading order (blocking; run in a thread)."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise FileRefused("scan-too-large")
            image = _scaled(ImageOps.exif_transpose(opened).convert("L"), MAX_SIDE)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise FileRefused("scan-not-image") from None
    for candidate, binarizer in _passes(image):
        found = zxingcpp.read_barcodes(candidate, formats=FORMATS, binarizer=binarizer)
        read = list(dict.fromkeys(Scanned(b.text, str(b.format)) for b in found if b.valid and b.text))
        if read:
            return read
        if time.monotonic() > deadline:
            raise FileRefused("scan-timeout")
    return []


class BarcodeReader:
    """Decodes pictures in worker threads, two at a time (this bot runs on small machines)."""

    def __init__(self, *, time_bound: float = TIME_BOUND, concurrency: int = 2) -> None:
        self._time_bound = time_bound
        self._slots = asyncio.Semaphore(concurrency)

    async def read(self, data: bytes) -> list[Scanned]:
        """The barcodes on a picture. Raises `FileRefused` (not a picture, too big, too slow)."""
        if len(data) > MAX_BYTES:
            raise FileRefused("scan-too-big")
        async with self._slots:
            deadline = time.monotonic() + self._time_bound
            task = asyncio.to_thread(decode, data, deadline)
            try:
                # The thread also checks the deadline between passes, so it stops soon after.
                found = await asyncio.wait_for(task, timeout=self._time_bound + 1.0)
            except TimeoutError:
                raise FileRefused("scan-timeout") from None
        logger.info("barcodes read: %d", len(found))  # never what they say: a label is personal data
        return found
