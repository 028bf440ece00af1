"""Benchmark, not a test: `uv run python -m tests.benchmarks.updates`. Everything on 127.0.0.1.

The cost of an ordinary update: the bot (`python -m bot`) and a bare aiogram echo bot
(`tests/benchmarks/echo_bot.py`) each poll the same fake Bot API server, which hands them 1,000
messages at once (100 users × 10; the bot gets «/help», the echo bot the same text to echo; LOG_LEVEL is
the default, INFO, or UPDATES_BENCH_LOG_LEVEL). For each
process: updates per second (from the hand-over to the last reply) and CPU seconds per 1,000 updates
(user + system time of the process over that span, from /proc), then the ratios bot/echo. The goals:
throughput ≥ 0.8× the echo bot's, CPU ≤ 1.5× its. Also the bot's peak memory (VmHWM; goal < 120 MB)
and its start: from launch to its first getUpdates, and to its first reply. The two run in turn, RUNS
pairs (UPDATES_BENCH_RUNS, default 3); printed are each side's medians and the median of the
per-pair ratios.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from tests.fakes.telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
USERS, EACH = 100, 10
UPDATES = USERS * EACH
RUNS = int(os.environ.get("UPDATES_BENCH_RUNS", "3"))
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    rate: float  # updates per second
    cpu: float  # CPU seconds per 1,000 updates
    peak_mb: float
    ready: float  # seconds from launch to the first getUpdates
    first_reply: float  # seconds from launch to the first reply


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def one_run(command: list[str], text: str, env: dict[str, str]) -> Run:
    telegram = FakeTelegram()
    await telegram.start()
    launched = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        env={**env, "BOT_TOKEN": telegram.token, "TELEGRAM_API_URL": telegram.url},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=env["WORKDIR"],
    )
    try:
        await telegram.wait_for("getUpdates", timeout=60)
        ready = time.perf_counter() - launched
        telegram.push_message(1, text)  # a warm-up reply; also "launch to first reply"
        await telegram.wait_for("sendMessage", count=1, timeout=60)
        first_reply = time.perf_counter() - launched
        await asyncio.sleep(0.5)  # let start-up work (menus, workers) settle
        replies = len(telegram.sent("sendMessage"))
        cpu_before = cpu_seconds(process.pid)
        started = time.perf_counter()
        for n in range(UPDATES):
            telegram.push_message(1000 + n % USERS, text)
        await telegram.wait_for("sendMessage", count=replies + UPDATES, timeout=300)
        wall = time.perf_counter() - started
        cpu = cpu_seconds(process.pid) - cpu_before
        return Run(UPDATES / wall, cpu * 1000 / UPDATES, peak_mb(process.pid), ready, first_reply)
    finally:
        process.terminate()
        await process.wait()
        await telegram.stop()


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "SECRET_KEY"}}
        env.update(
            {
                "PYTHONPATH": str(ROOT),
                "WORKDIR": tmp,
                "SECRET_KEY": Fernet.generate_key().decode(),
                "MARKET_API_URL": "http://127.0.0.1:9",  # never called for /help
                "LOG_LEVEL": os.environ.get("UPDATES_BENCH_LOG_LEVEL", "INFO"),
            }
        )
        echo: list[Run] = []
        ours: list[Run] = []
        for n in range(RUNS):
            # The echo bot runs as a script, not `-m tests...`: a bare aiogram, imported the usual way.
            echo.append(await one_run([str(Path(__file__).with_name("echo_bot.py"))], "/help", env))
            database = {"DATABASE_PATH": f"{tmp}/run{n}/bot.sqlite3"}
            ours.append(await one_run(["-m", "bot"], "/help", {**env, **database}))

    def med(runs: list[Run], field: str) -> float:
        return float(statistics.median(getattr(r, field) for r in runs))

    print(f"updates: {UPDATES} messages from {USERS} users, {RUNS} runs each, medians")
    for name, runs in (("echo bot", echo), ("the bot ", ours)):
        print(
            f"updates: {name}: {med(runs, 'rate'):6.0f} updates/s, {med(runs, 'cpu'):.2f} CPU-s per 1,000, "
            f"peak {med(runs, 'peak_mb'):.0f} MB, ready {med(runs, 'ready'):.2f} s, "
            f"first reply {med(runs, 'first_reply'):.2f} s"
        )
    # Each pair ran back to back, so the machine's own ups and downs touch both alike: the ratios are
    # taken per pair, then their median.
    rates = [b.rate / e.rate for e, b in zip(echo, ours, strict=True)]
    cpus = [b.cpu / e.cpu for e, b in zip(echo, ours, strict=True)]
    listed = " ".join(f"{r:.2f}" for r in rates), " ".join(f"{c:.2f}" for c in cpus)
    print(f"updates: per pair, throughput {listed[0]}; CPU {listed[1]}")
    print(
        f"updates: throughput {statistics.median(rates):.2f}× the echo bot's (goal ≥ 0.80), "
        f"CPU {statistics.median(cpus):.2f}× (goal ≤ 1.50), "
        f"peak memory {med(ours, 'peak_mb'):.0f} MB (goal < 120)"
    )


if __name__ == "__main__":
    asyncio.run(main())
