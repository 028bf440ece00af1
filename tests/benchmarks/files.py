"""Benchmark, not a test: `uv run python -m tests.benchmarks.files`. Everything on 127.0.0.1.

Table files a courier could send (the worst of issue 18 and a few honest ones), each sent as a document
through the real dispatcher (fake Telegram and Market in the same process) in a fresh process of its
own. Printed for each: the longest the event loop was blocked while the file was read (a ticker every
5 ms measuring how late it wakes), the wall time from the update to the bot's answer, how long another
user waited for an answer to /start sent 50 ms after the file, the growth of the bot process's peak
memory (ru_maxrss), the peak memory of the worker process reading the file (run once more, alone,
under a small parent), and the start of the answer. The child process runs under a 6 GiB
address-space limit so that a file which used to take gigabytes cannot take the machine with it.
"""

from __future__ import annotations

import asyncio
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Update
from cryptography.fernet import Fernet
from openpyxl import Workbook

from bot.app import build_deps, create_dispatcher, install_session_middlewares
from bot.market.client import MarketClient
from bot.market.transport import MarketTransport
from bot.telegram.middlewares import FloodControl
from storage.db import Database
from storage.fsm import SQLiteStorage
from storage.secrets import SecretBox
from tests.conftest import OWNER_KEY, seed_shop
from tests.fakes.market import FakeMarket
from tests.fakes.telegram import FakeTelegram, document, message
from tests.fakes.workbooks import workbook

OWNER, OTHER = 1, 2
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEMORY_LIMIT = 6 * 1024**3
TICK = 0.005


def _dense(rows: int, cell: bytes) -> Iterator[bytes]:
    for _ in range(rows):
        yield b"<row>" + cell * 16_384 + b"</row>"


def _huge_string(megabytes: int) -> Iterator[bytes]:
    yield b"<si><t>"
    chunk = b"A" * 1024 * 1024
    for _ in range(megabytes):
        yield chunk
    yield b"</t></si>"


def _one_cell_and_huge_string(megabytes: int) -> bytes:
    return workbook([b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'], _huge_string(megabytes))


def _many_attributes(megabytes: float) -> bytes:
    """One `<row>` of attributes `aN=">"`: a `>` inside a value, so no stretch without one is long."""
    parts, size, n = [b'<row r="1"'], 0, 0
    while size < megabytes * 1024 * 1024:
        attribute = b' a%d=">"' % n
        parts.append(attribute)
        size, n = size + len(attribute), n + 1
    parts.append(b'><c r="A1"><v>101</v></c><c r="B1" t="inlineStr"><is><t>RA1</t></is></c></row>')
    return workbook([b"".join(parts)])


def _honest_sheet(lines: int) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Номер заказа", "Трек-номер", "Служба доставки"])
    for n in range(lines):
        sheet.append([100_000 + n, f"RA{n:09d}RU", "Почта России"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv_lines(size: int) -> bytes:
    line = "100001;RA123456789RU;Почта России\r\n".encode("cp1251")
    return line * (size // len(line))


CASES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "honest XLSX, 300 lines": ("xlsx", lambda: _honest_sheet(300)),
    "68 KiB XLSX, 80 rows × 16,384 cells": (
        "xlsx",
        lambda: workbook(_dense(80, b'<c t="s"><v>0</v></c>'), [b"<si><t>x</t></si>"]),
    ),
    "270 KiB XLSX, 560 rows × 16,384 cells": ("xlsx", lambda: workbook(_dense(560, b"<c><v>1</v></c>"))),
    "7.5 MiB sheet of empty cells (the most accepted)": ("xlsx", lambda: workbook(_dense(120, b"<c/>"))),
    "~1 MB XLSX, one 1 GiB shared string": ("xlsx", lambda: _one_cell_and_huge_string(1024)),
    "2 MB XLSX, one 2 GiB shared string": ("xlsx", lambda: _one_cell_and_huge_string(2040)),
    "1.6 MB XLSX, one tag of 600,000 attributes": ("xlsx", lambda: _many_attributes(7.9)),
    "2 MB CSV, 60,000 lines": ("csv", lambda: _csv_lines(2 * 1024 * 1024 - 1024)),
    "2 MB CSV, one line of 700,000 fields": ("csv", lambda: b"ab," * 699_000),
}


async def measure(data: bytes, kind: str) -> dict[str, Any]:
    """Send the file as a document and watch the event loop meanwhile (in the child process)."""
    telegram, market = FakeTelegram(), FakeMarket()
    market.check_responses = False  # measure the bot, not the fake's own spec checks
    market.add_campaign(1001, "dbs-shop.example")
    market.add_key(OWNER_KEY, {1001})
    for n in range(300):
        market.add_order(1001, 100_000 + n)
    await telegram.start()
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bench.sqlite3")
        box = SecretBox(Fernet.generate_key())
        transport = MarketTransport(await market.start())
        bot = Bot(telegram.token, session=AiohttpSession(api=TelegramAPIServer.from_base(telegram.url)))
        install_session_middlewares(bot)
        deps = build_deps(bot, db, MarketClient(transport), box)
        dp = create_dispatcher(storage=SQLiteStorage(db), deps=deps, flood=FloodControl(limit=10**6))
        await seed_shop(db, box, OWNER)
        ids = iter(range(1, 10**7))

        async def send(user: int, text: str | None, **extra: Any) -> float:
            msg = message(user, text, next(ids), "ru", **extra)
            started = time.perf_counter()
            await dp.feed_update(bot, Update.model_validate({"update_id": next(ids), "message": msg}))
            return time.perf_counter() - started

        # Warm up: the first update, and the first preview with its buttons, build what aiogram builds
        # lazily (about 0.2 s once, not the file's doing).
        await send(OTHER, "/start")
        await send(OWNER, "100000 RA1\n100001 RA2")
        file_id = telegram.add_file(data)
        name = "codes.xlsx" if kind == "xlsx" else "codes.csv"
        file_message = document(file_id, len(data), name, XLSX if kind == "xlsx" else "text/csv")
        del data
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        worst = 0.0
        ticking = True

        async def ticker() -> None:
            nonlocal worst
            loop = asyncio.get_running_loop()
            while ticking:
                expected = loop.time() + TICK
                await asyncio.sleep(TICK)
                worst = max(worst, loop.time() - expected)

        async def other_user() -> float:
            arrives = time.perf_counter() + 0.05
            await asyncio.sleep(0.05)
            await send(OTHER, "/start")
            return time.perf_counter() - arrives

        ticks = asyncio.create_task(ticker())
        await asyncio.sleep(0.05)
        calls = len(telegram.calls)
        other = asyncio.create_task(other_user())
        wall = await send(OWNER, None, **file_message)
        other_wait = await other
        ticking = False
        await ticks
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        answers = [
            str(c.params["text"])
            for c in telegram.calls[calls:]
            if c.method == "sendMessage" and c.params.get("chat_id") == OWNER
        ]
        await bot.session.close()
        await transport.aclose()
        await db.close()
        await telegram.stop()
        await market.stop()
    return {
        "block_ms": worst * 1000,
        "wall_s": wall,
        "other_ms": other_wait * 1000,
        "memory_mib": (after - before) / 1024,
        "answer": answers[0].split("\n")[0][:70] if answers else "(no answer)",
    }


def child(path: str, kind: str) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    try:
        result = asyncio.run(measure(Path(path).read_bytes(), kind))
    except MemoryError:
        result = {"answer": f"MemoryError (over the {MEMORY_LIMIT // 1024**3} GiB limit)"}
    print(json.dumps(result))


# The table worker run in a process whose only child it is; then that child's peak memory (KiB).
WORKER_PEAK = """import resource, subprocess, sys
command = [sys.executable, "-m", "bot.services.table_worker", "6", sys.argv[1], "5"]
subprocess.run(command, input=sys.stdin.buffer.read(), stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"""


def worker_peak(path: Path, kind: str) -> str:
    run = subprocess.run(  # noqa: S603 (this interpreter, a script written here)
        [sys.executable, "-c", WORKER_PEAK, kind], input=path.read_bytes(), capture_output=True, check=False
    )
    return f"{int(run.stdout) / 1024:.0f} MiB" if run.returncode == 0 else "(no worker)"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, (kind, make) in CASES.items():
            path = Path(tmp) / "file"
            path.write_bytes(make())
            size = path.stat().st_size
            run = subprocess.run(  # noqa: S603 (this interpreter, this module, a file it wrote)
                [sys.executable, "-m", "tests.benchmarks.files", str(path), kind],
                capture_output=True,
                text=True,
                check=False,
            )
            lines = run.stdout.strip().splitlines()
            if run.returncode != 0 or not lines:
                print(f"files: {name} ({size // 1024} KiB): the process failed ({run.returncode})")
                print(run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "")
                continue
            r = json.loads(lines[-1])
            if "wall_s" not in r:
                print(f"files: {name} ({size // 1024} KiB): {r['answer']}")
                continue
            print(
                f"files: {name} ({size // 1024} KiB): loop blocked {r['block_ms']:.0f} ms at most; "
                f"answer in {r['wall_s']:.2f} s; another user waited {r['other_ms']:.0f} ms; "
                f"peak memory +{r['memory_mib']:.0f} MiB, the worker's {worker_peak(path, kind)}; "
                f"«{r['answer']}»"
            )


if __name__ == "__main__":
    if len(sys.argv) == 3:
        child(sys.argv[1], sys.argv[2])
    else:
        main()
