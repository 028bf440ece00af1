"""Decodes one picture of a parcel label, in a process of its own (`BarcodeReader` starts it).

A zxing pass on a big picture cannot be interrupted from Python, so a thread running it outlives any
time bound; a process can be killed at the deadline instead (`bot.services.workers`). This module
imports only Pillow, zxing-cpp and `worker_main`, so the process starts in about 0.1 s. It reads the
picture's bytes from stdin and writes one JSON object to stdout: `{"found": [[text, format], ...]}`
or `{"refused": key}` with a catalogue key.

Phone photos are hard: the label at an angle or upside down, the barcode small in a big picture,
a little blur. Passes, cheapest first, until one finds something: the whole picture (zxing tries it
turned by 90°, downscaled and inverted itself), then sharpened with another binarizer, then turned
by 45° both ways, then overlapping crops enlarged twice.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

import zxingcpp
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from bot.services.worker_main import serve

MAX_PIXELS = 50_000_000  # a bigger picture is no phone photo (and might be a decompression bomb)
MEMORY = 384 * 1024 * 1024  # the worker's address space
MAX_SIDE = 4000  # a phone photo's size; larger ones are scaled down to it
CROP_SIDE = 2500  # a crop is enlarged to at most this
MIN_SIDE_TURNED = 32  # a picture narrower than this is read whole only, never turned or cropped
# What phones and messengers send. Other formats Pillow knows (EPS runs Ghostscript, old
# scanner formats) are refused as not a picture rather than handed to a rarely used decoder.
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
FORMATS = zxingcpp.barcode_formats_from_str("Code128,Code39,Code93,EAN13,ITF,QRCode,DataMatrix,PDF417")


class Refused(Exception):
    """The picture will not be read: `key` names the catalogue text that says why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _scaled(image: Image.Image, side: int) -> Image.Image:
    factor = side / max(image.size)
    if factor >= 1:
        return image
    # A side never rounds down to nothing: a 16000 × 3 picture becomes 4000 × 1.
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.BOX)


def _crops(image: Image.Image) -> Iterator[Image.Image]:
    """Nine overlapping crops, each half the picture's width and height, enlarged twice."""
    w, h = image.size
    for top in (0, h // 4, h // 2):
        for left in (0, w // 4, w // 2):
            crop = _scaled(image.crop((left, top, left + w // 2, top + h // 2)), CROP_SIDE // 2)
            yield crop.resize((crop.width * 2, crop.height * 2), Image.Resampling.BICUBIC)


def _passes(image: Image.Image) -> Iterator[tuple[Image.Image, zxingcpp.Binarizer]]:
    """The whole picture (zxing also tries it rotated by 90°, inverted and downscaled), then the
    harder cases: those only for a picture with room for a turned barcode (a strip 3 × 16000 is
    scaled to 1 × 4000: a half of it is empty, and turning it makes a big blank square)."""
    local = zxingcpp.Binarizer.LocalAverage
    yield image, local
    yield image.filter(ImageFilter.UnsharpMask(radius=2, percent=150)), zxingcpp.Binarizer.GlobalHistogram
    if min(image.size) < MIN_SIDE_TURNED:
        return
    for angle in (45, -45):
        yield image.rotate(angle, expand=True, fillcolor=255), local
    yield from ((crop, local) for crop in _crops(image))


def _open(data: bytes) -> Image.Image:
    """The picture in grey, at most MAX_SIDE a side. Its size is checked from its header, before any
    pixel is decoded: a small file may declare billions of pixels (a decompression bomb)."""
    with warnings.catch_warnings():
        # Pillow warns above its own limit (89 MP) and refuses above twice that, both at open.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            opened = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise Refused("scan-too-large") from None
        except (UnidentifiedImageError, OSError, ValueError):
            raise Refused("scan-not-image") from None
    with opened:
        if opened.width * opened.height > MAX_PIXELS:
            raise Refused("scan-too-large")
        # A JPEG is decoded straight to grey, and at a half, a quarter... of its size if that is
        # still MAX_SIDE long: a 12 MP photo in a third of the time and memory. Others ignore this.
        factor = min(1.0, MAX_SIDE / max(opened.size))
        opened.draft("L", (max(1, round(opened.width * factor)), max(1, round(opened.height * factor))))
        try:
            return _scaled(ImageOps.exif_transpose(opened).convert("L"), MAX_SIDE)
        except (OSError, ValueError, EOFError):  # truncated or broken pixel data
            raise Refused("scan-not-image") from None


def decode(data: bytes) -> list[tuple[str, str]]:
    """Every barcode (text, symbology) the first successful pass finds, in reading order."""
    image = _open(data)
    for candidate, binarizer in _passes(image):
        found = zxingcpp.read_barcodes(candidate, formats=FORMATS, binarizer=binarizer)
        read = list(dict.fromkeys((b.text, str(b.format)) for b in found if b.valid and b.text))
        if read:
            return read
    return []


def answer(data: bytes) -> dict[str, object]:
    """The worker's answer: `{"found": [[text, format], ...]}` or `{"refused": key}`."""
    try:
        return {"found": decode(data)}
    except Refused as exc:
        return {"refused": exc.key}


if __name__ == "__main__":
    serve(answer, memory=MEMORY, too_large="scan-too-large")
