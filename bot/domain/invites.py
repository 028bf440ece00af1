"""Invite links for couriers: random, single-use, expiring, stored only as a hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from urllib.parse import quote, urlencode

TOKEN_BYTES = 16  # 128 bits
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{16,64}$")  # what Telegram allows in a /start payload


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(payload: str | None) -> bool:
    return bool(payload and _PAYLOAD.match(payload))


def deep_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


def share_link(url: str, text: str) -> str:
    """Telegram's share link: opens the chat picker with `url` and `text` ready to send."""
    return "https://t.me/share/url?" + urlencode({"url": url, "text": text}, quote_via=quote)


def expiry(now: dt.datetime, ttl_seconds: int) -> dt.datetime:
    return now + dt.timedelta(seconds=ttl_seconds)
