"""Decodes one picture of a parcel label, in a process of its own (`BarcodeReader` starts it).

A zxing pass on a big picture cannot be interrupted from Python, so a thread running it outlives any
time bound; a process can be killed at the deadline instead (`bot.services.workers`). This module
imports only Pillow, zxing-cpp and `worker_main`, so the process starts in about 0.1 s. It reads the
picture's bytes from stdin and writes one JSON object to stdout: `{"found": [[text, format], ...]}`
or `{"refused": key}` with a catalogue key.

Memory: a picture is refused as too large before its pixels are decoded when they would take more
than MAX_DECODED, and it is turned grey and small early, so that no honest picture needs more than
~300 MiB (the zxing passes over a 4000 × 4000 picture of noise take the most); MEMORY, the worker's
address space, is the kernel's bound over that.

Phone photos are hard: the label at an angle or upside down, the barcode small in a big picture,
a little blur. Passes, cheapest first, until one finds something: the whole picture (zxing tries it
turned by 90°, downscaled and inverted itself), then sharpened with another binarizer, then turned
by 45° both ways, then overlapping crops enlarged twice.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Iterator

import zxingcpp
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from bot.services.worker_main import serve

MAX_PIXELS = 50_000_000  # a bigger picture is no phone photo (and might be a decompression bomb)
MAX_DECODED = 200 * 1024 * 1024  # bytes of decoded pixels: 50 MP of RGB or CMYK, 13 MP of WebP
MEMORY = 384 * 1024 * 1024  # the worker's address space; the most a picture took is 270 MiB (noise)
MAX_SIDE = 4000  # a phone photo's size; larger ones are scaled down to it
CROP_SIDE = 2500  # a crop is enlarged to at most this
MIN_SIDE_TURNED = 32  # a picture narrower than this is read whole only, never turned or cropped
# What phones and messengers send. Other formats Pillow knows (EPS runs Ghostscript, old
# scanner formats) are refused as not a picture rather than handed to a rarely used decoder.
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
ROWS_PER_STRIP, TILE_LENGTH = 278, 323  # TIFF tags
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
    pixel is decoded: a small file may declare billions of pixels (a decompression bomb), or millions
    in a mode that takes four bytes each and a decoder that copies them (a 290 KiB TIFF of 49 MP in
    CMYK took 635 MiB)."""
    webp = _webp_size(data)  # Pillow's WebP decoder takes 8 bytes a pixel already at open
    if webp is not None and _decoded_bytes(webp, "RGBA", "WEBP") > MAX_DECODED:
        raise Refused("scan-too-large")
    with warnings.catch_warnings():
        # Pillow warns above its own limit (89 MP) and refuses above twice that, both at open.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            opened = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise Refused("scan-too-large") from None
        except (UnidentifiedImageError, OSError, ValueError):
            raise Refused("scan-not-image") from None
    try:
        if opened.width * opened.height > MAX_PIXELS:
            raise Refused("scan-too-large")
        # A JPEG is decoded straight to grey, and at a half, a quarter... of its size if that is
        # still MAX_SIDE long: a 12 MP photo in a third of the time and memory. Others ignore this.
        factor = min(1.0, MAX_SIDE / max(opened.size))
        opened.draft("L", (max(1, round(opened.width * factor)), max(1, round(opened.height * factor))))
        if _decoded_bytes(opened.size, opened.mode, opened.format) + _strip_bytes(opened) > MAX_DECODED:
            raise Refused("scan-too-large")
        grey = _grey(opened)
    except (OSError, ValueError, EOFError):  # truncated or broken pixel data
        raise Refused("scan-not-image") from None
    finally:
        opened.close()  # its pixels now, not when it is collected (`with` closes only the file)
    # Turned as the phone was held (a TIFF's turn is Pillow's own, on decoding; the others' EXIF stays
    # with the picture through reducing and greying).
    return _scaled(ImageOps.exif_transpose(grey), MAX_SIDE)


def _decoded_bytes(size: tuple[int, int], mode: str, kind: str | None) -> int:
    """The memory a picture's pixels take decoded (in the size and mode a JPEG's draft leaves): Pillow
    keeps a pixel in 1 byte (1, L, P), 2 (I;16) or 4 (the rest, RGB too); a WebP is decoded into
    buffers of libwebp's and of Pillow's before the picture (16 bytes a pixel measured)."""
    pixel = 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4
    if kind == "WEBP":
        pixel *= 4
    return size[0] * size[1] * pixel


def _strip_bytes(image: Image.Image) -> int:
    """What a TIFF's decoder holds besides the picture: one strip (or row of tiles) decoded, at most 4
    bytes a pixel. A TIFF may be one strip: its pixels twice over."""
    tags = getattr(image, "tag_v2", None)
    if image.format != "TIFF" or tags is None:
        return 0
    rows = tags.get(TILE_LENGTH) or tags.get(ROWS_PER_STRIP) or image.height
    return min(int(rows), image.height) * image.width * 4


def _webp_size(data: bytes) -> tuple[int, int] | None:
    """A WebP's width and height as its header states them (lossy, lossless or extended), else None."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":  # the canvas: 24 bits each, less one
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8L":  # 14 bits each, less one, after a signature byte
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, (bits >> 14 & 0x3FFF) + 1
    if chunk == b"VP8 ":  # 14 bits each (and 2 of scaling) after the frame tag and start code
        return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    return None


def _grey(image: Image.Image) -> Image.Image:
    """The picture decoded, in grey. Modes without a way to grey of their own (CMYK, LAB, HSV) go
    through RGB, a copy of 4 bytes a pixel: a big one is reduced first, in its own mode."""
    if image.mode in ("CMYK", "LAB", "HSV") and max(image.size) > MAX_SIDE:
        reduced = image.reduce(math.ceil(max(image.size) / MAX_SIDE))
        image.close()  # its pixels go before the copies are made
        image = reduced
    return image.convert("L")


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
