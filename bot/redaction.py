"""Keeps secrets out of logs: every handler's records pass through `RedactingFilter`.

Secrets are registered as they come into use (the bot token at start, each Market API key when the
owner sends it and whenever the transport uses it); a few patterns catch the rest.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"
MIN_SECRET_LENGTH = 6
PATTERNS = (
    re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}\b"),  # Telegram bot tokens
    re.compile(r"(?i)(api-key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),  # an Api-Key header or field
    re.compile(r"(?i)\bbot\d{5,}:[A-Za-z0-9_-]+"),  # a token inside a Bot API URL
)


class Redactor:
    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            with self._lock:
                self._secrets.add(secret)

    def redact(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        for pattern in PATTERNS:
            text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
        return text


REDACTOR = Redactor()


class RedactingFilter(logging.Filter):
    """Rewrites each record's message and formatted exception with secrets masked."""

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__()
        self._redactor = redactor
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redactor.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self._redactor.redact(self._formatter.formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self._redactor.redact(record.stack_info)
        return True


def install(root: logging.Logger | None = None) -> None:
    for handler in (root or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
