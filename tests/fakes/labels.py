"""Pictures of parcel labels as a phone takes them, made in the tests: barcodes drawn by zxing-cpp,
pasted on a label, the label turned, warped, shrunk into a big noisy photo, blurred, saved as JPEG.
And hostile ones: pictures of extreme shapes, noise that is slow to search, a decompression bomb."""

from __future__ import annotations

import io
import itertools
import random
import struct
import zlib
from typing import Any, cast

import zxingcpp
from PIL import Image, ImageFilter

F = zxingcpp.BarcodeFormat


def barcode(text: str, fmt: zxingcpp.BarcodeFormat = F.Code128, scale: int = 3) -> Image.Image:
    drawn = zxingcpp.create_barcode(text, fmt).to_image(scale=scale)
    height, width = drawn.shape
    return Image.frombytes("L", (width, height), bytes(memoryview(cast(Any, drawn))))


def label(*codes: tuple[str, zxingcpp.BarcodeFormat]) -> Image.Image:
    """A white label with the barcodes one under another."""
    drawn = [barcode(text, fmt) for text, fmt in codes]
    sheet = Image.new("L", (max(b.width for b in drawn) + 120, sum(b.height + 70 for b in drawn) + 70), 255)
    top = 60
    for b in drawn:
        sheet.paste(b, (60, top))
        top += b.height + 70
    return sheet


def warped(sheet: Image.Image, lean: float = 0.25) -> Image.Image:
    """The label seen from below at an angle: its top edge narrower than its bottom."""
    w, h = sheet.size
    pad = int(w * lean)
    wide = Image.new("L", (w + 2 * pad, h), 255)
    wide.paste(sheet, (pad, 0))
    # Sample the whole top row of the wider picture into the output's top: the label shrinks there.
    return wide.transform((w + 2 * pad, h), Image.Transform.QUAD, (0, 0, pad, h, w + pad, h, w + 2 * pad, 0))


def photo(
    sheet: Image.Image,
    *,
    angle: float = 0.0,
    size: tuple[int, int] = (1080, 1440),
    at: tuple[int, int] = (120, 300),
    scale: float = 1.0,
    blur: float = 0.8,
    seed: int = 7,
) -> Image.Image:
    """The label (turned by `angle`, scaled) on a noisy grey background, slightly blurred."""
    random.seed(seed)
    background = Image.effect_noise(size, 30).point(lambda v: 70 + v // 3)
    if scale != 1.0:
        sheet = sheet.resize((int(sheet.width * scale), int(sheet.height * scale)), Image.Resampling.BICUBIC)
    turned = sheet.rotate(angle, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
    mask = Image.new("L", sheet.size, 255).rotate(angle, expand=True, fillcolor=0)
    background.paste(turned, at, mask)
    return background.filter(ImageFilter.GaussianBlur(blur))


def jpeg(picture: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    picture.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def png(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def blank(width: int, height: int) -> bytes:
    """A white PNG of any shape (3 × 16000 is a picture too)."""
    return png(Image.new("L", (width, height), 255))


def noise(width: int, height: int, seed: int = 7) -> bytes:
    """Grey noise as an uncompressed BMP (quick to make and to open): the slowest thing to search for
    barcodes, about 0.1 s per megapixel for each zxing pass, and no barcode in it."""
    pixels = random.Random(seed).randbytes(width * height)
    out = io.BytesIO()
    Image.frombytes("L", (width, height), pixels).save(out, "BMP")
    return out.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of width × height pixels, all black, in a small file: its rows
    compress about 1000 to 1 (a 20000 × 20000 one is 47 KiB, and 400 MB once decoded)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = bytes(1 + (width + 7) // 8)  # filter type 0, then a bit per pixel
    packer = zlib.compressobj(9)
    rows = (packer.compress(row * min(64, height - top)) for top in range(0, height, 64))
    data = b"".join(rows) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit per pixel, grey
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def cmyk_tiff(width: int, height: int, *, rows_per_strip: int | None = None) -> bytes:
    """A blank CMYK TIFF (4 bytes a pixel once decoded, and turned grey only through RGB) in a small
    file: each row is runs of 128 equal bytes (PackBits), so 48 MP take 3 MB and no time to make. In
    one strip unless `rows_per_strip` says otherwise."""
    full, rest = divmod(width * 4, 128)
    row = b"\x81\x00" * full + (bytes([257 - rest, 0]) if rest > 1 else b"\x00\x00" * rest)
    per_strip = min(rows_per_strip or height, height)
    strips = [row * min(per_strip, height - top) for top in range(0, height, per_strip)]
    offsets = list(itertools.accumulate((len(s) for s in strips[:-1]), initial=16))
    lengths = [len(s) for s in strips]
    data = b"".join(strips)
    if len(strips) == 1:  # a single value is written in the directory itself
        tables, offsets_at, lengths_at = b"", offsets[0], lengths[0]
    else:
        tables = struct.pack(f"<{2 * len(strips)}I", *offsets, *lengths)
        offsets_at, lengths_at = 16 + len(data), 16 + len(data) + 4 * len(strips)
    entries = [  # tag, type (3 short, 4 long), count, the value or where the values are
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 4, 8),  # 8 bits each of the 4 samples, written at offset 8
        (259, 3, 1, 32773),  # PackBits
        (262, 3, 1, 5),  # separated: CMYK
        (273, 4, len(strips), offsets_at),
        (277, 3, 1, 4),
        (278, 4, 1, per_strip),
        (279, 4, len(strips), lengths_at),
        (284, 3, 1, 1),
    ]
    directory = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries)
    header = b"II*\x00" + struct.pack("<I", 16 + len(data) + len(tables)) + struct.pack("<4H", 8, 8, 8, 8)
    return header + data + tables + directory + b"\0\0\0\0"
