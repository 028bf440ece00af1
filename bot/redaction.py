"""Keeps secrets out of logs: every handler's records pass through `RedactingFilter`.

Secrets are registered as they come into use: the bot token at start, and each Market API key once the
Market has accepted it (text a stranger types at the key step is not a key, and does not join). A few
patterns catch the rest: token shapes and `Api-Key` fields.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import OrderedDict

MASK = "***"
MIN_SECRET_LENGTH = 6
MAX_SECRETS = 1000
PATTERNS = (
    re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}\b"),  # Telegram bot tokens
    re.compile(r"(?i)(api-key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),  # an Api-Key header or field
    re.compile(r"(?i)\bbot\d{5,}:[A-Za-z0-9_-]+"),  # a token inside a Bot API URL
)


class Redactor:
    """The secrets to mask: the bot token and the API keys the Market accepted, at most `limit` of
    them (the least recently used go first; `keep` ones never), matched by one compiled pattern."""

    def __init__(self, limit: int = MAX_SECRETS) -> None:
        self._limit = limit
        self._secrets: OrderedDict[str, bool] = OrderedDict()  # secret -> kept for good
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, secret: str | None, *, keep: bool = False) -> None:
        if not secret or len(secret) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            if secret in self._secrets:
                self._secrets.move_to_end(secret)
                return
            self._secrets[secret] = keep
            while len(self._secrets) > self._limit:
                oldest = next((s for s, kept in self._secrets.items() if not kept), None)
                if oldest is None:
                    break
                del self._secrets[oldest]
            self._pattern = None

    def __len__(self) -> int:
        return len(self._secrets)

    def _compiled(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._secrets:
                longest_first = sorted(self._secrets, key=len, reverse=True)
                self._pattern = re.compile("|".join(map(re.escape, longest_first)))
            return self._pattern

    def redact(self, text: str) -> str:
        pattern = self._compiled()
        if pattern is not None:
            text = pattern.sub(MASK, text)
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


STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """LOG_FORMAT=json: one JSON object per line, with the same fields as the text format (time, level,
    logger, message) plus any `extra` fields a call gives (e.g. a Market call's method, path, status,
    latency). It formats what the redacting filter left: secrets are masked the same way."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in STANDARD})
        if record.exc_text:
            entry["exception"] = record.exc_text
        elif record.exc_info:  # no redacting filter on this handler: never a secret unmasked
            entry["exception"] = REDACTOR.redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)
