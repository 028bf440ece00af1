"""Webhook mode, /healthz and /metrics: the bot as `run` wires it, in process, against the fake servers.
A request without the right secret never reaches a handler; a valid one is answered; the health check
names what is wrong; the metrics parse and count what was handled."""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from cryptography.fernet import Fernet
from prometheus_client.parser import text_string_to_metric_families

from bot.app import run
from bot.config import ConfigError, load_settings
from bot.services.vitals import Vitals
from bot.telegram.health import Health, Metrics, add_routes
from storage.db import Database
from tests.fakes.market import FakeMarket
from tests.fakes.serve import serve
from tests.fakes.telegram import FakeTelegram, message

SECRET = "s3cret-Token_for-tests"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def update(update_id: int, text: str) -> dict[str, object]:
    return {"update_id": update_id, "message": message(701, text, update_id, "ru")}


async def test_webhook_refuses_a_wrong_secret_answers_a_valid_update_and_reports_health(
    telegram: FakeTelegram, market: FakeMarket, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    port = free_port()
    settings = load_settings(
        bot_token=telegram.token,
        telegram_api_url=telegram.url,
        market_api_url=market.url,
        database_path=tmp_path / "bot.sqlite3",
        webhook_url="https://bot.example/tg/hook",
        webhook_secret=SECRET,
        http_host="127.0.0.1",
        http_port=port,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(run(settings, Fernet.generate_key(), stop))
    try:
        [registered] = [c.params for c in await telegram.wait_for("setWebhook")]
        assert registered["url"] == "https://bot.example/tg/hook" and registered["secret_token"] == SECRET
        assert {"message", "callback_query"} <= set(registered["allowed_updates"])
        assert telegram.sent("deleteWebhook") == [] and telegram.sent("getUpdates") == []
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base) as http:
            missing = await http.post("/tg/hook", json=update(1, "/help"))
            wrong = await http.post("/tg/hook", json=update(2, "/help"), headers={SECRET_HEADER: "guess"})
            assert (missing.status_code, wrong.status_code) == (401, 401)
            non_ascii = await http.post(  # anyone who can reach the port can send this
                "/tg/hook", json=update(4, "/help"), headers={SECRET_HEADER.encode(): "секрет".encode()}
            )
            assert non_ascii.status_code == 401
            deep = b"[" * 100_000 + b"]" * 100_000  # nested past what the JSON reader recurses into
            for body in (b"{not json", b"\xff\xfe", b"[1, 2]", b'{"update_id": "x"}', deep):
                bad = await http.post("/tg/hook", content=body, headers={SECRET_HEADER: SECRET})
                assert bad.status_code == 400, body
            await asyncio.sleep(0.3)
            assert telegram.sent("sendMessage") == [], "a refused request reaches no handler"

            valid = await http.post("/tg/hook", json=update(3, "/help"), headers={SECRET_HEADER: SECRET})
            assert valid.status_code == 200
            [answer] = await telegram.wait_for("sendMessage")
            assert "С чего начать" in str(answer.params["text"])

            health = await http.get("/healthz")
            assert health.status_code == 200
            body = health.json()
            assert body["status"] == "ok" and body["database"] == "ok"
            assert body["retry_worker"] == body["alerts_poller"] == body["notifications"] == "alive"
            assert 0 <= body["last_update_age_seconds"] < 30
            assert body["last_notification_age_seconds"] is None, "no Market notification came"

            # The Market's notifications are served here too; this machine is no Market source.
            ping = {"notificationType": "PING", "time": "2026-11-20T10:00:00Z"}
            assert (await http.post("/market/notification", json=ping)).status_code == 403

            scraped = (await http.get("/metrics")).text
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(scraped)
            for s in family.samples
        }
        assert samples[("bot_updates_total", (("type", "message"),))] == 1, "only the valid update"
        assert samples[("bot_handler_seconds_count", ())] == 1
        assert samples[("bot_operations", (("status", "pending"),))] == 0
        assert SECRET not in scraped and telegram.token not in scraped
        served = (
            f"HTTP on 127.0.0.1:{port} serves POST /tg/hook, GET /healthz, GET /metrics, "
            "POST /market/notification, POST /market/notification/notification"
        )
        assert served in caplog.messages, "the log says which address and paths are open"
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [], (
            "what a stranger sends logs no error"
        )
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=10)


async def test_healthz_says_503_and_why_when_the_database_is_unreachable(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.sqlite3")
    app_health = Health(Vitals(db), Metrics(), {"retry_worker": lambda: True, "alerts_poller": lambda: False})
    app = web.Application()
    add_routes(app, app_health)
    runner, url = await serve(app)
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            first = await http.get("/healthz")
            assert first.status_code == 503 and first.json()["problems"] == ["alerts_poller stopped"]
            await db.close()
            down = await http.get("/healthz")
            assert down.status_code == 503
            assert down.json()["problems"] == ["database unreachable", "alerts_poller stopped"]
            assert (await http.get("/metrics")).status_code == 200, "the counters are still served"
    finally:
        await runner.cleanup()


def test_webhook_mode_needs_an_https_url_and_a_secret(tmp_path: Path) -> None:
    common = {"bot_token": "123456:" + "A" * 35, "database_path": tmp_path / "db"}
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET is required"):
        load_settings(**common, webhook_url="https://bot.example/hook")
    with pytest.raises(ConfigError, match="WEBHOOK_URL is invalid: must be the public https"):
        load_settings(**common, webhook_url="http://bot.example/hook", webhook_secret=SECRET)
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET is invalid"):
        load_settings(**common, webhook_url="https://bot.example/hook", webhook_secret="no spaces allowed")
