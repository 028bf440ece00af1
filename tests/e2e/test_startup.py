"""`python -m bot` started while Telegram cannot be reached, fails, or does not answer: it waits with one
line per attempt and serves once Telegram answers, and SIGTERM still ends it at once.

(The wait itself, its backoff and a refused token are covered in process: tests/handlers/test_startup.py.)
"""

from __future__ import annotations

import asyncio
import re
import signal
from pathlib import Path

from cryptography.fernet import Fernet

from tests.e2e.conftest import assert_ends_with_its_last_log_line, bot_env, start_bot
from tests.fakes.serve import Silent
from tests.fakes.telegram import FakeTelegram

USER = 901
WARNING = re.compile(r"^\S+ \S+ WARNING bot (.*)$")


async def read_until(process: asyncio.subprocess.Process, needle: str, log: list[str]) -> None:
    """Read the bot's log into `log` until a line contains `needle`."""
    assert process.stderr is not None
    async with asyncio.timeout(60):
        while not log or needle not in log[-1]:
            line = await process.stderr.readline()
            assert line, f"the bot exited before saying {needle!r}: {log}"
            log.append(line.decode().rstrip("\n"))


async def stop(process: asyncio.subprocess.Process, log: list[str]) -> None:
    """SIGTERM; the rest of its log into `log`. It must exit 0 within 10 s (Docker's wait)."""
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), timeout=10)
    log.extend(err.decode().splitlines())
    assert process.returncode == 0, log
    assert not [line for line in log if "Traceback" in line], log


async def test_telegram_down_then_failing_then_up_is_waited_for_one_line_each_then_served(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    port = int(telegram.url.rsplit(":", 1)[1])
    await telegram.stop()  # nothing listens: connection refused, as with the network down
    env = bot_env(
        tmp_path,
        BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram.url,
        SECRET_KEY=Fernet.generate_key().decode(),
        TELEGRAM_RETRY_SECONDS="0.05",
    )
    bot = await start_bot(env, tmp_path)
    log: list[str] = []
    await read_until(bot, "retrying in 0.1 s", log)  # the second attempt
    telegram.fail("getMe", 503, "Service Unavailable", times=2)
    await telegram.start(port=port)  # back, failing twice before it answers
    await read_until(bot, "starting long polling", log)
    reply = await telegram.exchange(telegram.push_message(USER, "/start", language="en"), chat_id=USER)
    assert "Yandex Market" in str(reply[0].params["text"]), "it serves"
    await stop(bot, log)

    said = [m.group(1) for line in log if (m := WARNING.match(line))]
    refused = f"Telegram unreachable (cannot connect to 127.0.0.1:{port}: Connection refused)"
    waits = [float(line.rsplit(" in ", 1)[1].removesuffix(" s")) for line in said]
    failing = "Telegram unreachable (Service Unavailable)"
    expected = [f"{refused}, retrying in {wait:g} s" for wait in waits[:-2]]
    expected += [f"{failing}, retrying in {wait:g} s" for wait in waits[-2:]]
    assert said == expected, log  # one line per attempt, in words
    assert waits == [0.05 * 2**i for i in range(len(waits))], "the wait doubling"
    assert [c.method for c in telegram.calls[:4]] == ["getMe"] * 3 + ["getWebhookInfo"]
    assert_ends_with_its_last_log_line("\n".join(log))


async def test_sigterm_while_telegram_does_not_answer_ends_the_start_at_once(tmp_path: Path) -> None:
    """A network that drops Telegram's packets: the call hangs (aiogram's own timeout is a minute);
    SIGTERM does not wait for it."""
    silent = Silent()
    await silent.start()
    try:
        env = bot_env(
            tmp_path,
            BOT_TOKEN=FakeTelegram().token,
            TELEGRAM_API_URL=silent.url,
            SECRET_KEY=Fernet.generate_key().decode(),
        )
        bot = await start_bot(env, tmp_path)
        await asyncio.wait_for(silent.connected.wait(), timeout=60)  # getMe asked, no answer coming
        log: list[str] = []
        await stop(bot, log)  # within 10 s, exit 0
    finally:
        await silent.stop()
    assert log[-1].endswith(" INFO bot stopped before Telegram answered"), log
