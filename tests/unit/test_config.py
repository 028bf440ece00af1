"""Settings: one clear line naming a bad setting; the secret key is made once and kept."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.config import ConfigError, load_settings, resolve_secret_key

TOKEN = "123456:AAH-fake-token-for-tests-only_0123456789"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "BOT_TOKEN",
        "TELEGRAM_API_URL",
        "MARKET_API_URL",
        "DATABASE_PATH",
        "SECRET_KEY",
        "LOG_LEVEL",
        "HTTP_HOST",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    settings = load_settings()
    assert str(settings.market_api_url) == "https://api.partner.market.yandex.ru/"
    assert settings.database_path == Path("data/bot.sqlite3")
    assert settings.telegram_api_url is None and settings.secret_key is None
    assert settings.log_level == "INFO"
    assert settings.http_host == "127.0.0.1", "/metrics and /healthz are not served to the world by default"


def test_the_docker_image_listens_on_the_containers_every_interface() -> None:
    """With the 127.0.0.1 default inside a container, the published port would reach nothing."""
    dockerfile = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()
    image = dockerfile.rsplit("\nFROM ", 1)[1]  # the stage that runs
    assert "    HTTP_HOST=0.0.0.0 \\\n" in image


def test_env_file_is_read_and_process_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(f"BOT_TOKEN={TOKEN}\nLOG_LEVEL=debug\nDATABASE_PATH=/tmp/x.db\n")
    monkeypatch.setenv("LOG_LEVEL", "warning")
    settings = load_settings()
    assert settings.bot_token.get_secret_value() == TOKEN
    assert settings.log_level == "WARNING"
    assert settings.database_path == Path("/tmp/x.db")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "BOT_TOKEN is required but not set"),
        ({"BOT_TOKEN": "nonsense"}, "BOT_TOKEN is invalid"),
        ({"BOT_TOKEN": "123456:abc"}, "BOT_TOKEN is invalid: does not look like a token from @BotFather"),
        ({"BOT_TOKEN": TOKEN[:-12]}, "BOT_TOKEN is invalid: does not look like a token"),  # cut short
        ({"BOT_TOKEN": TOKEN + "é"}, "BOT_TOKEN is invalid: does not look like a token"),
        ({"BOT_TOKEN": "bot" + TOKEN}, "BOT_TOKEN is invalid: starts with 'bot' (as in an API address)"),
        ({"BOT_TOKEN": TOKEN, "MARKET_API_URL": "not a url"}, "MARKET_API_URL is invalid"),
        ({"BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": "ftp//x"}, "TELEGRAM_API_URL is invalid"),
        ({"BOT_TOKEN": TOKEN, "SECRET_KEY": "short"}, "SECRET_KEY is invalid"),
        ({"BOT_TOKEN": TOKEN, "LOG_LEVEL": "loud"}, "LOG_LEVEL is invalid"),
    ],
)
def test_bad_settings_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("pasted", [f" {TOKEN} ", f'"{TOKEN}"', f"'{TOKEN} '"])
def test_a_token_pasted_with_spaces_or_quotes_around_it_is_the_token(
    monkeypatch: pytest.MonkeyPatch, pasted: str
) -> None:
    monkeypatch.setenv("BOT_TOKEN", pasted)
    assert load_settings().bot_token.get_secret_value() == TOKEN


def test_the_token_left_from_env_example_is_refused(tmp_path: Path) -> None:
    """`cp .env.example .env` and a start without pasting the token: told so, not sent to Telegram."""
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    (tmp_path / ".env").write_text(example)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        "BOT_TOKEN is invalid: still the example from .env.example; put your bot's token from @BotFather"
    )


def test_secret_key_from_env_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key = Fernet.generate_key()
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SECRET_KEY", key.decode())
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db" / "bot.sqlite3"))
    assert resolve_secret_key(load_settings(), logging.getLogger("t")) == key
    assert not (tmp_path / "db" / "secret.key").exists()


def test_secret_key_generated_once_with_mode_0600(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db" / "bot.sqlite3"))
    settings = load_settings()
    with caplog.at_level(logging.WARNING):
        first = resolve_secret_key(settings, logging.getLogger("t"))
    key_file = tmp_path / "db" / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "generated a new key" in caplog.text and first.decode() not in caplog.text
    Fernet(first)
    assert resolve_secret_key(settings, logging.getLogger("t")) == first


def test_damaged_secret_key_file_is_a_config_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.sqlite3"))
    (tmp_path / "secret.key").write_text("garbage")
    with pytest.raises(ConfigError, match=r"secret\.key"):
        resolve_secret_key(load_settings(), logging.getLogger("t"))
