"""Reading real-looking phone photos of parcel labels: each case names the code that must come out."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import pytest
from PIL import Image, ImageFile

from bot.domain.errors import FileRefused
from bot.domain.track_codes import rank_track_codes
from bot.services import barcode_worker
from bot.services.barcodes import BarcodeReader
from bot.services.workers import ROOT
from tests.fakes.labels import F, blank, cmyk_tiff, jpeg, label, noise, photo, png_bomb, warped

POST = "80081234567890"

Case = tuple[Callable[[], Image.Image], str, str]  # the photo (made when the test runs), service, code
CASES: dict[str, Case] = {
    "turned 90°": (lambda: photo(label((POST, F.Code128)), angle=90), "Почта России", POST),
    "upside down, Code 93": (lambda: photo(label((POST, F.Code93)), angle=180), "Почта России", POST),
    "at 40°": (lambda: photo(label((POST, F.Code128)), angle=40), "Почта России", POST),
    "seen at an angle": (lambda: photo(warped(label((POST, F.Code128)), 0.3), angle=8), "Почта России", POST),
    "small in a big photo": (
        lambda: photo(label((POST, F.Code128)), angle=4, size=(2000, 2666), at=(1300, 1900), scale=0.6),
        "Почта России",
        POST,
    ),
    "warped in a big photo, Code 39": (
        lambda: photo(
            warped(label(("RA123456789RU", F.Code39)), 0.3),
            angle=-10,
            size=(2000, 2666),
            at=(700, 1400),
        ),
        "Почта России",
        "RA123456789RU",
    ),
}


@pytest.mark.parametrize("case", CASES)
async def test_a_phone_photo_of_a_label_gives_its_track_code(case: str) -> None:
    picture, service, code = CASES[case]
    read = await BarcodeReader().read(jpeg(picture()))
    assert rank_track_codes(read, service, order_id=55667788) == [code]


async def test_a_label_with_several_barcodes_gives_the_track_code_not_the_order_or_the_product() -> None:
    sheet = label(("55667788", F.Code128), ("1234567890", F.Code128), ("4601234567893", F.EAN13))
    read = await BarcodeReader().read(jpeg(photo(sheet, angle=180)))
    assert {s.text for s in read} == {"55667788", "1234567890", "4601234567893"}
    assert rank_track_codes(read, "СДЭК", order_id=55667788) == ["1234567890"]


async def test_every_symbology_a_label_may_carry_is_read() -> None:
    codes = {
        "RA123456789RU": F.QRCode,
        "1234567890": F.DataMatrix,
        "12345678901231": F.ITF,
        "CDEK-12345": F.PDF417,
    }
    sheet = label(*codes.items())
    read = await BarcodeReader().read(jpeg(photo(sheet, size=(1400, 2400), at=(200, 200))))
    assert {s.text: s.format for s in read} == {
        "RA123456789RU": "QR Code",
        "1234567890": "Data Matrix",
        "12345678901231": "ITF",
        "CDEK-12345": "PDF417",
    }


async def test_a_photo_without_barcodes_reads_nothing() -> None:
    empty = photo(Image.new("L", (300, 200), 255), size=(640, 853), at=(100, 100))
    assert await BarcodeReader().read(jpeg(empty)) == []


async def test_what_is_not_a_picture_or_too_big_is_refused() -> None:
    reader = BarcodeReader()
    with pytest.raises(FileRefused) as not_image:
        await reader.read(b"%PDF-1.4 not a picture")
    assert not_image.value.key == "scan-not-image"
    with pytest.raises(FileRefused) as too_big:
        await reader.read(b"\0" * (20 * 1024 * 1024 + 1))
    assert too_big.value.key == "scan-too-big"  # over 50 MP: see the decompression bombs below


async def test_a_picture_of_any_shape_gets_an_answer() -> None:
    # Crops of half a side of a picture one pixel wide were empty, and 1 × 1 divided by zero.
    shapes = [blank(1, 1), blank(1, 100), blank(100, 1), blank(3, 16000), blank(16000, 3)]
    shapes.append(jpeg(Image.new("L", (16000, 3), 255)))  # a JPEG is decoded at a smaller scale
    reader = BarcodeReader()
    read = await asyncio.gather(*(reader.read(picture) for picture in shapes))
    assert read == [[]] * len(shapes)


async def test_a_decompression_bomb_is_too_large_and_never_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    # 200 MP (Pillow refuses it at open), 100 MP (Pillow warns), 60 MP (Pillow takes it): tiny files
    bombs = [png_bomb(20000, 10000), png_bomb(10000, 10000), png_bomb(10000, 6000)]
    assert all(len(bomb) < 64 * 1024 for bomb in bombs)
    with pytest.raises(FileRefused) as refused:
        await BarcodeReader().read(bombs[0])
    assert refused.value.key == "scan-too-large"

    def load(self: ImageFile.ImageFile) -> None:
        raise AssertionError(f"{self.size} decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    for bomb in bombs:  # what the worker process runs, here where decoding is watched
        with pytest.raises(barcode_worker.Refused) as in_worker:
            barcode_worker.decode(bomb)
        assert in_worker.value.key == "scan-too-large"


async def test_a_webp_too_big_for_the_workers_memory_is_too_large_before_it_is_opened(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """16 MP: libwebp and Pillow hold 16 bytes a pixel of it, and Pillow's decoder sets up its
    buffers already at open (the worker's memory limit made that fail: «not a picture»)."""
    out = io.BytesIO()
    Image.new("L", (16, 16), 255).save(out, "WEBP", lossless=True)
    webp = bytearray(out.getvalue())  # its header made to say 4000 × 4000 (14 bits each, less one)
    size = int.from_bytes(webp[21:25], "little") & ~0x0FFF_FFFF | 3999 | 3999 << 14
    webp[21:25] = size.to_bytes(4, "little")
    opened: list[object] = []
    monkeypatch.setattr(Image, "open", lambda *args, **kwargs: opened.append(args))
    with pytest.raises(barcode_worker.Refused) as refused:
        barcode_worker.decode(bytes(webp))
    assert refused.value.key == "scan-too-large"
    assert opened == []


# The barcode worker run in a process whose only child it is: its answer, then its peak memory (MiB).
PEAK = """import resource, subprocess, sys
subprocess.run([sys.executable, "-m", "bot.services.barcode_worker", "9"], input=sys.stdin.buffer.read())
print("", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)"""


def worker_peak(picture: bytes) -> tuple[str, int]:
    run = subprocess.run(  # noqa: S603 (this interpreter, a script written here)
        [sys.executable, "-c", PEAK], input=picture, capture_output=True, check=True, cwd=ROOT
    )
    answer, peak = run.stdout.decode().rsplit(" ", 1)
    return answer, int(peak)


def test_a_small_file_of_many_pixels_is_read_within_the_memory_bound_or_said_too_large() -> None:
    """48 MP of CMYK in a 3 MB TIFF: 4 bytes a pixel decoded, and grey only through RGB (635 MiB
    measured). A strip at a time it is reduced before it goes grey; in one strip (its decoder holds
    that too: the pixels twice) it is too large, said before decoding. Two such run at once."""
    striped, one_strip = cmyk_tiff(4_000_000, 12, rows_per_strip=1), cmyk_tiff(7000, 7000)
    assert max(len(striped), len(one_strip)) < 4 * 1024 * 1024
    answer, peak = worker_peak(striped)
    assert answer == '{"found": []}' and peak < 300
    answer, peak = worker_peak(one_strip)
    assert answer == '{"refused": "scan-too-large"}' and peak < 300


def decoding_now() -> list[str]:
    """What of this test process is decoding a picture at this moment: its threads inside a decoder,
    and the decoder processes it started."""
    frames = sys._current_frames()
    threads = [t.name for t in threading.enumerate() if t.ident in frames and _decoding(frames[t.ident])]
    children = {pid for task in Path("/proc/self/task").iterdir() for pid in _read(task / "children").split()}
    workers = [pid for pid in children if "barcode" in _read(Path(f"/proc/{pid}/cmdline"))]
    return threads + workers


def _decoding(frame: FrameType | None) -> bool:
    while frame is not None:
        if frame.f_code.co_name == "decode" and "barcode" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except (FileNotFoundError, ProcessLookupError):  # the thread or the process has just ended
        return ""


async def test_a_picture_slower_than_the_bound_is_answered_and_nothing_goes_on_decoding_it() -> None:
    # One zxing pass over 16 MP of noise takes more than a second (it cannot be interrupted); the
    # bound is a fraction of that. The answer comes at the bound, and the decoding stops with it.
    with pytest.raises(FileRefused) as slow:
        await BarcodeReader(time_bound=0.2, concurrency=1).read(noise(4000, 4000))
    assert slow.value.key == "scan-timeout"
    assert decoding_now() == []
