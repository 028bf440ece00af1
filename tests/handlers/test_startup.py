"""Start-up against a Telegram that refuses the token, cannot be reached, or comes back: `run` and its
one wait for Telegram, in process against the fake Bot API server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from aiogram.exceptions import TelegramConflictError
from cryptography.fernet import Fernet

from bot.app import (
    Patience,
    at_start,
    build_bot,
    install_session_middlewares,
    run,
    take_over_webhook,
    wait_for_telegram,
)
from bot.config import ConfigError, load_settings
from bot.services.users import MenuRecords
from bot.services.vitals import Vitals
from bot.telegram.health import Health, Metrics
from bot.telegram.i18n import Catalogue
from bot.telegram.menus import Menus
from storage.db import Database
from tests.fakes.serve import Silent
from tests.fakes.telegram import FakeTelegram, bot_for, close


async def until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_revoked_token_stops_the_start_with_one_line_before_anything_is_built(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    settings = load_settings(
        bot_token="123456:" + "R" * 35,  # not the fake's token: it answers 401 Unauthorized, as Telegram does
        telegram_api_url=telegram.url,
        database_path=tmp_path / "bot.sqlite3",
    )
    with pytest.raises(ConfigError) as refused:
        await asyncio.wait_for(run(settings, Fernet.generate_key()), timeout=10)
    assert str(refused.value) == (
        "Telegram refused BOT_TOKEN (401 Unauthorized): it was revoked or mistyped; "
        "copy the bot's current token from @BotFather"
    )
    assert not (tmp_path / "bot.sqlite3").exists(), "nothing was started"


async def test_an_unreachable_then_failing_telegram_is_waited_for_one_line_each_until_it_answers(
    telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot")
    bot = bot_for(telegram)
    port = int(telegram.url.rsplit(":", 1)[1])
    await telegram.stop()  # connection refused, as with the network down
    telegram.fail("getMe", 502, "Bad Gateway", times=3)
    try:
        waiting = asyncio.create_task(
            wait_for_telegram(bot, asyncio.Event(), Patience(first_delay=0.01, max_delay=0.04))
        )
        await until(lambda: caplog.records)
        await telegram.start(port=port)  # back, answering 502 three times, then getMe
        assert await asyncio.wait_for(waiting, timeout=5) is True
    finally:
        await close(bot)

    lines = [r.getMessage() for r in caplog.records]
    assert all(r.exc_info is None for r in caplog.records), "no traceback"
    assert lines[0] == (  # in words, not aiohttp's class name and asyncio's "Connect call failed (...)"
        f"Telegram unreachable (cannot connect to 127.0.0.1:{port}: Connection refused), retrying in 0.01 s"
    )
    waits = [float(line.rsplit(" in ", 1)[1].removesuffix(" s")) for line in lines]
    assert waits == [min(0.01 * 2**i, 0.04) for i in range(len(waits))], "doubling, up to the cap"
    assert [line.split(", retrying")[0] for line in lines[-3:]] == ["Telegram unreachable (Bad Gateway)"] * 3
    assert [c.method for c in telegram.calls] == ["getMe"] * 4


async def test_a_stop_while_waiting_for_telegram_ends_the_wait(
    telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot")
    telegram.fail("getMe", 500, "Internal Server Error", times=100)
    bot = bot_for(telegram)
    stop = asyncio.Event()
    try:
        waiting = asyncio.create_task(wait_for_telegram(bot, stop, Patience(first_delay=30)))
        await until(lambda: caplog.records)
        stop.set()  # SIGTERM does this
        assert await asyncio.wait_for(waiting, timeout=5) is False
    finally:
        await close(bot)
    assert caplog.messages == ["Telegram unreachable (Internal Server Error), retrying in 30 s"]


async def test_a_telegram_that_does_not_answer_in_time_is_unreachable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Packets dropped on the way (a network half down): aiogram alone waits a minute, silent."""
    caplog.set_level(logging.WARNING, logger="bot")
    silent = Silent()
    await silent.start()
    bot = build_bot(FakeTelegram().token, silent.url)
    stop = asyncio.Event()
    try:
        waiting = asyncio.create_task(wait_for_telegram(bot, stop, Patience(timeout=0.2, first_delay=0.01)))
        await until(lambda: caplog.records)
        stop.set()
        assert await asyncio.wait_for(waiting, timeout=5) is False
    finally:
        await close(bot)
        await silent.stop()
    assert caplog.messages[0] == "Telegram unreachable (no answer in 0.2 s), retrying in 0.01 s"


async def test_a_stop_does_not_wait_for_a_telegram_that_does_not_answer() -> None:
    """SIGTERM while a call waits for an answer: the start ends now, not when the call times out."""
    silent = Silent()
    await silent.start()
    bot = build_bot(FakeTelegram().token, silent.url)
    stop = asyncio.Event()
    try:
        waiting = asyncio.create_task(wait_for_telegram(bot, stop, Patience(timeout=60)))
        await asyncio.wait_for(silent.connected.wait(), timeout=5)
        stop.set()  # SIGTERM does this
        assert await asyncio.wait_for(waiting, timeout=5) is False
    finally:
        await close(bot)
        await silent.stop()


async def test_polling_takes_a_webhook_over_saying_so_and_leaves_none_alone_silently(
    telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot")
    bot = bot_for(telegram)
    try:
        await take_over_webhook(bot)
        assert telegram.sent("deleteWebhook") == [] and caplog.records == [], "none set: nothing to say"
        telegram.webhook_url = "https://bot.example/tg/hook"
        await take_over_webhook(bot)
    finally:
        await close(bot)
    assert len(telegram.sent("deleteWebhook")) == 1 and telegram.webhook_url == ""
    [line] = [r.getMessage() for r in caplog.records]
    assert "webhook set (https://bot.example/tg/hook); removed it to poll" in line and "stop one" in line


async def test_another_copy_polling_with_the_token_is_said_plainly_and_fails_the_health_check(
    telegram: FakeTelegram, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot")
    bot = bot_for(telegram)
    conflicts = install_session_middlewares(bot)
    health = Health(Vitals(db), Metrics(), conflicts=conflicts)
    assert (await health.report())[0], "healthy before"
    telegram.fail("getUpdates", 409, "Conflict: terminated by other getUpdates request", times=3)
    try:
        for _ in range(3):  # aiogram's polling tries again and again
            with pytest.raises(TelegramConflictError):
                await bot.get_updates(timeout=0)
    finally:
        await close(bot)
    ok, body = await health.report()
    assert not ok and body["problems"] == ["another copy of the bot polls with this BOT_TOKEN"]
    [line] = [r.getMessage() for r in caplog.records]  # once a minute, not at each refused poll
    assert line.startswith("another copy of this bot polls Telegram with the same BOT_TOKEN")


async def test_a_telegram_blip_after_get_me_is_waited_out_not_the_end_of_the_start(
    telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot")
    telegram.webhook_url = "https://bot.example/tg/hook"
    telegram.fail("deleteWebhook", 502, "Bad Gateway")
    bot = bot_for(telegram)
    try:
        taken = await at_start(
            lambda: take_over_webhook(bot), "deleteWebhook", asyncio.Event(), Patience(first_delay=0.01)
        )
        refused = at_start(lambda: bot.set_webhook("ftp://x"), "setWebhook", asyncio.Event())
        telegram.fail("setWebhook", 400, "Bad Request: bad webhook: HTTPS url must be provided for webhook")
        with pytest.raises(ConfigError) as caught:
            await refused
    finally:
        await close(bot)
    assert taken is True and telegram.webhook_url == ""
    assert "Telegram unreachable (Bad Gateway), retrying in 0.01 s" in [
        r.getMessage() for r in caplog.records
    ]
    assert str(caught.value).startswith("Telegram refused setWebhook (Bad Request: bad webhook")


async def test_menus_telegram_could_not_take_at_start_end_no_start_and_are_set_at_the_next(
    telegram: FakeTelegram, db: Database
) -> None:
    telegram.fail("setMyCommands", 502, "Bad Gateway")
    bot = bot_for(telegram)
    menus = Menus(bot, Catalogue.default(), MenuRecords(db))
    try:
        await menus.at_start()  # no exception: the start goes on
        await menus.stop()
        assert telegram.sent("setMyDescription") == []
        await menus.at_start()  # the next start sets them
        await menus.stop()
    finally:
        await close(bot)
    assert len(telegram.sent("setMyDescription")) == 2
