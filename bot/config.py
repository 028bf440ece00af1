"""Settings read once from the environment and `.env` (the process environment wins)."""

from __future__ import annotations

import logging
import os
import re
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Literal

from cryptography.fernet import Fernet
from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_MARKET_API_URL = "https://api.partner.market.yandex.ru"

# A token from @BotFather: the bot's id, a colon, 35 url-safe characters (a few more or less accepted).
BOT_TOKEN_SHAPE = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{30,64}")
# What .env.example holds until the owner pastes theirs.
PLACEHOLDER_TOKEN = "replace_with_your_token"  # noqa: S105 - not a secret: the example's text
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram takes as a webhook's secret_token
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
# Where the Market's push notifications come from (its documentation names these three).
MARKET_NOTIFY_SOURCES = "5.45.207.0/25,141.8.142.0/25,5.255.253.0/25"
Networks = Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode]  # "a/n, b/m" in the environment


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    bot_token: SecretStr
    telegram_api_url: AnyHttpUrl | None = None
    market_api_url: AnyHttpUrl = AnyHttpUrl(DEFAULT_MARKET_API_URL)
    database_path: Path = Path("data/bot.sqlite3")
    secret_key: SecretStr | None = None
    log_level: LogLevel = "INFO"
    invite_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    market_timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    # Start-up's wait for Telegram (bot.app.at_start): how long one call may go unanswered before it
    # counts as unreachable, and the first pause before asking again (doubling up to a minute).
    telegram_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    telegram_retry_seconds: float = Field(default=1.0, gt=0, le=60)
    retry_base_seconds: float = Field(default=5.0, gt=0)
    retry_max_seconds: float = Field(default=600.0, gt=0)
    retry_window_hours: float = Field(default=24.0, gt=0, le=24 * 7)
    flood_limit: int = Field(default=10, ge=1)
    flood_period_seconds: float = Field(default=5.0, gt=0)
    orders_poll_seconds: float = Field(default=120.0, ge=10, le=3600)
    # A shop whose notifications arrive is polled this seldom (a safety net for a lost notification).
    orders_backstop_seconds: float = Field(default=900.0, ge=10, le=24 * 3600)
    # Buyers' chats are read this often when no push notification about them arrives.
    chats_poll_seconds: float = Field(default=60.0, ge=10, le=3600)
    # How long a stop lets running work finish; with the rest of the stop it stays within Docker's
    # 10 s before SIGKILL.
    shutdown_grace_seconds: float = Field(default=5.0, ge=0, le=8)
    webhook_url: AnyHttpUrl | None = None
    webhook_secret: SecretStr | None = None
    # This machine only: /metrics and /healthz are nobody else's business, and a reverse proxy on the
    # host reaches the webhook here. The Docker image sets 0.0.0.0 (compose publishes on 127.0.0.1).
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(default=None, ge=1, le=65535)
    log_format: Literal["text", "json"] = "text"
    # The Market's push notifications (on the HTTP server: webhook mode, or HTTP_PORT): the path of the
    # address registered in the cabinet, who may send them, and which reverse proxies' X-Forwarded-For
    # is believed (none: the direct peer is the source).
    market_notify_path: str = "/market/notification"
    market_notify_allow: Networks = Field(default=MARKET_NOTIFY_SOURCES, validate_default=True)
    trusted_proxies: Networks = ()

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        # Checked here, not by aiogram (whose import takes seconds) nor by a call to Telegram.
        # What a paste brings along (spaces, quotes around it) is no part of a token.
        token = value.get_secret_value().strip().strip("\"'").strip()
        if PLACEHOLDER_TOKEN in token:
            raise ValueError("still the example from .env.example; put your bot's token from @BotFather")
        if token.lower().startswith("bot") and BOT_TOKEN_SHAPE.fullmatch(token[3:]):
            raise ValueError("starts with 'bot' (as in an API address): leave it out, the digits come first")
        if not BOT_TOKEN_SHAPE.fullmatch(token):
            raise ValueError(
                "does not look like a token from @BotFather (digits, a colon, 35 letters, digits, - or _)"
            )
        return SecretStr(token)

    @field_validator("secret_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        try:
            for key in value.get_secret_value().split(","):  # several when rotating: the first encrypts
                Fernet(key.strip().encode())
        except ValueError:
            raise ValueError(
                "must be a Fernet key (32 url-safe base64-encoded bytes), or several separated by commas"
            ) from None
        return value

    @field_validator("webhook_url")
    @classmethod
    def _https(cls, value: AnyHttpUrl | None) -> AnyHttpUrl | None:
        if value is not None and value.scheme != "https":
            raise ValueError("must be the public https:// URL Telegram sends updates to")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not SECRET_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters: letters A-Z a-z, digits, _ and -")
        return value

    @field_validator("market_notify_path")
    @classmethod
    def _notify_path(cls, value: str) -> str:
        path = value.strip().rstrip("/")
        if not path.startswith("/") or any(c.isspace() or c in "?#" for c in path):
            raise ValueError("must be a path such as /market/notification")
        return path

    @field_validator("market_notify_allow", "trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        try:
            networks = tuple(ip_network(part.strip()) for part in value.split(",") if part.strip())
        except ValueError as exc:
            raise ValueError(f"must be addresses or networks (CIDR) separated by commas: {exc}") from None
        if not networks and info.field_name == "market_notify_allow":
            raise ValueError("names no network (0.0.0.0/0,::/0 would accept any source)")
        return networks

    @model_validator(mode="after")
    def _notify_path_free(self) -> Settings:
        taken = {"/healthz", "/metrics", (self.webhook_url.path or "/") if self.webhook_url else None}
        if self.market_notify_path in taken:
            raise ValueError(
                f"MARKET_NOTIFY_PATH {self.market_notify_path} is already served for another use"
            )
        return self

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url is not None and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
        return self

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _upper(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        return value.upper() if info.field_name == "log_level" else value.lower()


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it."""


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's report into one line that names the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        if not first["loc"]:  # a rule across settings: its message names them
            raise ConfigError(first["msg"].removeprefix("Value error, ")) from None
        name = str(first["loc"][0]).upper()
        if first["type"] == "missing":
            raise ConfigError(f"{name} is required but not set") from None
        reason = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{name} is invalid: {reason}") from None


def resolve_secret_key(settings: Settings, logger: logging.Logger) -> bytes:
    """The Fernet key for API keys at rest: SECRET_KEY, else `secret.key` beside the database.

    The file is created once (mode 0600) and reused, so keys stored earlier stay readable.
    """
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    key_file = settings.database_path.parent / "secret.key"
    if key_file.exists():
        key = key_file.read_bytes().strip()
        try:
            Fernet(key)
        except ValueError:
            raise ConfigError(f"{key_file} does not hold a valid Fernet key") from None
        return key
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key + b"\n")
    logger.warning(
        "SECRET_KEY is not set: generated a new key and saved it to %s (mode 0600); "
        "back it up together with the database",
        key_file,
    )
    return key
