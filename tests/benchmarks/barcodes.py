"""Benchmark, not a test: `uv run python -m tests.benchmarks.barcodes`.

How long reading a label photo takes (median of 5), for a Telegram photo (1280 × 1706), a phone photo
sent as a file (3000 × 4000, the label small in it), a photo with no barcode (every pass runs) and a
8 × 8 picture (what starting a decoder costs). Then the worst pictures, once each with the real bound
(TIME_BOUND): 4000 × 4000 noise, the same size covered with QR finder patterns, and three noise
pictures sent at once (two decode, the third waits for a slot). For those: the time to the answer,
and the CPU time this process and its children spent in the 3 s after the last answer (decoding
that went on after the user was answered). Last, the peak memory of a worker (run alone, under a
small parent, without the time bound) for an ordinary photo and for the pictures that cost the most
memory for their size.
"""

from __future__ import annotations

import asyncio
import io
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from PIL import Image, ImageDraw

from bot.domain.errors import FileRefused
from bot.services.barcodes import TIME_BOUND, BarcodeReader
from tests.fakes.labels import F, blank, cmyk_tiff, jpeg, label, noise, photo, png, warped

CASES: dict[str, Callable[[], bytes]] = {
    "Telegram photo, label upside down": lambda: jpeg(photo(label(("80081234567890", F.Code128)), angle=180)),
    "12 MP file, small warped label": lambda: jpeg(
        photo(warped(label(("RA123456789RU", F.Code39)), 0.3), angle=-10, size=(3000, 4000), at=(1800, 2600))
    ),
    "Telegram photo, no barcode": lambda: jpeg(photo(Image.new("L", (500, 300), 255))),
    "8 × 8 picture (a decoder's start)": lambda: blank(8, 8),
}


def finder_patterns(side: int) -> bytes:
    """A picture covered with QR finder patterns (2 px modules) and no QR code: zxing tries them all."""
    module = 2
    finder = Image.new("L", (7 * module, 7 * module), 0)
    ImageDraw.Draw(finder).rectangle((module, module, 6 * module - 1, 6 * module - 1), fill=255)
    ImageDraw.Draw(finder).rectangle((2 * module, 2 * module, 5 * module - 1, 5 * module - 1), fill=0)
    sheet = Image.new("L", (side, side), 255)
    rnd, step = random.Random(1), 7 * module + 6
    for top in range(0, side - step, step):
        for left in range(0, side - step, step):
            sheet.paste(finder, (left + rnd.randint(0, 3), top + rnd.randint(0, 3)))
    return png(sheet)


WORST: dict[str, Callable[[], list[bytes]]] = {
    "4000 × 4000 noise": lambda: [noise(4000, 4000)],
    "4000 × 4000 QR finder patterns": lambda: [finder_patterns(4000)],
    "3 × 4000 × 4000 noise at once": lambda: [noise(4000, 4000, seed=n) for n in range(3)],
}


def saved(mode: str, side: int, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (side, side)).save(out, kind, **options)
    return out.getvalue()


MEMORY: dict[str, Callable[[], bytes]] = {
    "12 MP phone photo": CASES["12 MP file, small warped label"],
    "49 MP CMYK TIFF, deflated (the review's)": lambda: saved(
        "CMYK", 7000, "TIFF", compression="tiff_adobe_deflate"
    ),
    "49 MP CMYK TIFF in one strip": lambda: cmyk_tiff(7000, 7000),
    "49 MP RGBA PNG": lambda: saved("RGBA", 7000, "PNG"),
    "49 MP WebP": lambda: saved("RGB", 7000, "WEBP", lossless=True),
    "4000 × 4000 noise (the passes' worst)": lambda: noise(4000, 4000),
}
# The barcode worker run in a process whose only child it is: its answer, then its peak memory (KiB).
PEAK = """import resource, subprocess, sys
command = [sys.executable, "-m", "bot.services.barcode_worker", "60"]
run = subprocess.run(command, input=sys.stdin.buffer.read(), capture_output=True, check=False)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(run.stdout.decode() or f"exit {run.returncode}", peak)"""


def worker_peak(data: bytes) -> str:
    run = subprocess.run(  # noqa: S603 (this interpreter, a script written here)
        [sys.executable, "-c", PEAK], input=data, capture_output=True, check=True
    )
    answer, peak = run.stdout.decode().rsplit(" ", 1)
    return f"{int(peak) / 1024:.0f} MiB ({answer})"


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


async def answer(reader: BarcodeReader, data: bytes, started: float) -> str:
    try:
        found = await reader.read(data)
    except FileRefused as exc:
        said = exc.key
    else:
        said = ", ".join(s.text for s in found) or "nothing"
    return f"{said} at {time.perf_counter() - started:.1f} s"


async def main() -> None:
    reader = BarcodeReader()
    for name, make in CASES.items():
        data = make()
        times, said = [], ""
        for _ in range(5):
            started = time.perf_counter()
            said = await answer(reader, data, started)
            times.append(time.perf_counter() - started)
        print(f"barcodes: {name}: {statistics.median(times) * 1000:.0f} ms ({len(data) // 1024} KB; {said})")
    for name, make_all in WORST.items():
        pictures, shared = make_all(), BarcodeReader()
        started = time.perf_counter()
        answers = await asyncio.gather(*(answer(shared, p, started) for p in pictures))
        before = cpu_seconds()
        await asyncio.sleep(3)
        after = cpu_seconds() - before
        said_all = "; ".join(answers)
        print(f"barcodes: {name} (bound {TIME_BOUND:.0f} s): {said_all}; CPU in the 3 s after: {after:.2f} s")
    for name, make in MEMORY.items():
        data = make()
        print(f"barcodes: {name} ({len(data) // 1024} KiB): the worker's peak memory {worker_peak(data)}")


if __name__ == "__main__":
    asyncio.run(main())
