"""Benchmark, not a test: `uv run python -m tests.benchmarks.barcodes`.

How long reading a label photo takes (median of 5), for a Telegram photo (1280 × 1706), a phone photo
sent as a file (3000 × 4000, the label small in it) and a photo with no barcode (every pass runs).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable

from PIL import Image

from bot.services.barcodes import BarcodeReader
from tests.fakes.labels import F, jpeg, label, photo, warped

CASES: dict[str, Callable[[], Image.Image]] = {
    "Telegram photo, label upside down": lambda: photo(label(("80081234567890", F.Code128)), angle=180),
    "12 MP file, small warped label": lambda: photo(
        warped(label(("RA123456789RU", F.Code39)), 0.3), angle=-10, size=(3000, 4000), at=(1800, 2600)
    ),
    "Telegram photo, no barcode": lambda: photo(Image.new("L", (500, 300), 255)),
}


async def main() -> None:
    reader = BarcodeReader()
    for name, make in CASES.items():
        data = jpeg(make())
        times, found = [], []
        for _ in range(5):
            started = time.perf_counter()
            found = await reader.read(data)
            times.append(time.perf_counter() - started)
        read = ", ".join(s.text for s in found) or "nothing"
        print(f"barcodes: {name}: {statistics.median(times) * 1000:.0f} ms ({len(data) // 1024} KB; {read})")


if __name__ == "__main__":
    asyncio.run(main())
