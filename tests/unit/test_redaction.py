"""Secrets never reach a log line, including exception messages and tracebacks."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.redaction import RedactingFilter, Redactor

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
