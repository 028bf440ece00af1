"""Secrets never reach a log line, including exception messages and tracebacks."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.__main__ import mask_secrets
from bot.config import load_settings
from bot.market.client import MarketClient
from bot.market.errors import UnauthorizedError
from bot.market.transport import MarketTransport
from bot.redaction import REDACTOR, JsonFormatter, RedactingFilter, Redactor
from tests.conftest import OWNER_KEY
from tests.fakes.market import FakeMarket

KEY = "ACMA:verysecretkeyvalue0123456789:0a1b2c3d"
TOKEN = "123456789:AAH-fake-token-for-tests-only_0123456789"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, Redactor]]:
    redactor = Redactor()
    redactor.add(KEY)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(redactor))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream, redactor
    logger.removeHandler(handler)


def test_message_args_exceptions_and_patterns_are_masked(
    captured: tuple[logging.Logger, io.StringIO, Redactor],
) -> None:
    logger, stream, _ = captured
    logger.info("using key %s for shop", KEY)
    logger.warning(f"inline {KEY}")
    try:
        raise ValueError(f"request failed with Api-Key: {KEY}")
    except ValueError:
        logger.exception("boom")
    logger.info("GET https://api.telegram.org/bot%s/getMe", TOKEN)
    logger.info('headers {"Api-Key": "unknown-but-secret-9999"}')
    out = stream.getvalue()
    assert KEY not in out and "verysecretkeyvalue" not in out
    assert TOKEN not in out and "unknown-but-secret-9999" not in out
    assert out.count("***") >= 5
    assert "ValueError" in out and "Traceback" in out, "the traceback itself is kept"


def test_short_strings_are_not_registered() -> None:
    redactor = Redactor()
    redactor.add("abc")
    redactor.add(None)
    assert redactor.redact("abc def") == "abc def"


def test_the_list_is_bounded_keeps_the_token_and_matches_in_one_pattern() -> None:
    redactor = Redactor(limit=3)
    redactor.add(TOKEN, keep=True)
    for n in range(10):
        redactor.add(f"ACMA:key-number-{n:04d}")
    assert len(redactor) == 3
    out = redactor.redact(f"{TOKEN} ACMA:key-number-0000 ACMA:key-number-0009")
    assert TOKEN not in out and "ACMA:key-number-0009" not in out
    assert "ACMA:key-number-0000" in out, "the oldest key gave way; the token never does"


async def test_only_keys_the_market_accepted_are_registered(market: FakeMarket) -> None:
    before = len(REDACTOR)
    transport = MarketTransport(market.url, timeout=2.0)
    try:
        with pytest.raises(UnauthorizedError):
            await MarketClient(transport).get_campaigns("hello-this-is-not-a-key")
        assert len(REDACTOR) == before, "a refused key (or any stranger's text) is not registered"
        await MarketClient(transport).get_campaigns(OWNER_KEY)
        assert REDACTOR.redact(OWNER_KEY) == "***"
    finally:
        await transport.aclose()


def test_json_logs_are_one_object_a_line_with_the_same_fields_and_masking(
    captured: tuple[logging.Logger, io.StringIO, Redactor],
) -> None:
    logger, stream, _ = captured
    logger.handlers[0].setFormatter(JsonFormatter())
    logger.info("market_call status=%s", 200, extra={"market_path": "/v2/campaigns", "latency_ms": 12})
    try:
        raise ValueError(f"request failed with Api-Key: {KEY}")
    except ValueError:
        logger.exception("using key %s", KEY)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "INFO" and first["logger"] == "test.redaction"
    assert first["message"] == "market_call status=200" and first["time"]
    assert first["market_path"] == "/v2/campaigns" and first["latency_ms"] == 12
    assert second["level"] == "ERROR" and "Traceback" in second["exception"]
    assert KEY not in json.dumps(second) and "verysecretkeyvalue" not in stream.getvalue()


def test_the_token_and_the_webhook_secret_are_masked_from_the_start(tmp_path: Path) -> None:
    secret = "Webhook_Secret-0123456789abcdef"
    mask_secrets(
        load_settings(
            bot_token=TOKEN,
            database_path=tmp_path / "db",
            webhook_url="https://bot.example/hook",
            webhook_secret=secret,
        )
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())  # the filter `python -m bot` installs: the process-wide list
    logger = logging.getLogger("test.redaction.secrets")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("setWebhook failed: secret_token=%s url=bot%s", secret, TOKEN)
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert secret not in out and TOKEN not in out and out.count("***") == 2
