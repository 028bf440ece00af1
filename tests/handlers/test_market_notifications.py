"""The endpoint for the Market's push notifications, through the real HTTP server on 127.0.0.1: the
fake Market (tests/fakes/market_push.py) checks every request and answer against the contract. The
bot trusts 127.0.0.1 as its reverse proxy here, so X-Forwarded-For plays the Market's address."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from ipaddress import ip_network
from pathlib import Path

import aiohttp
import httpx
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.app import say_http_is_off
from bot.config import load_settings
from bot.services.notifications.inbox import MarketInbox
from bot.services.vitals import Vitals
from bot.telegram.health import Health, Metrics, add_routes
from bot.telegram.market_notify import MarketNotifications
from storage.db import Database
from tests.fakes.market_push import MarketPush, at, cancellation_request, order_created, ping
from tests.fakes.serve import serve

PATH = "/market/notification"


@dataclass
class Endpoint:
    db: Database
    inbox: MarketInbox
    http: httpx.AsyncClient  # the bot's other paths
    market: MarketPush
    metrics: Metrics

    async def rows(self) -> list[tuple[str, int | None, str]]:
        rows = await self.db.fetch_all("SELECT kind, order_id, state FROM market_inbox ORDER BY id")
        return [(r["kind"], r["order_id"], r["state"]) for r in rows]

    def counted(self, kind: str, outcome: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "bot_market_notifications_total", {"type": kind, "outcome": outcome}
        )
        return value or 0.0


async def open_endpoint(tmp_path: Path, cap: int = 10_000) -> AsyncIterator[Endpoint]:
    db = await Database.open(tmp_path / "bot.sqlite3")
    inbox = MarketInbox(db, cap=cap)
    metrics = Metrics()
    defaults = load_settings(bot_token="123456:" + "A" * 35, database_path=tmp_path / "db")
    notifications = MarketNotifications(
        inbox,
        path=defaults.market_notify_path,
        allow=defaults.market_notify_allow,
        trusted=[ip_network("127.0.0.1/32")],
        count=metrics.notification,
    )
    app = web.Application()
    add_routes(app, Health(Vitals(db), metrics), notifications)
    runner, url = await serve(app)
    try:
        async with (
            httpx.AsyncClient(base_url=url) as http,
            aiohttp.ClientSession(base_url=url, connector=aiohttp.TCPConnector(limit=32)) as pushing,
        ):
            yield Endpoint(db, inbox, http, MarketPush(pushing, PATH), metrics)
    finally:
        await notifications.stop(1.0)
        await runner.cleanup()
        await db.close()


@pytest.fixture
async def endpoint(tmp_path: Path) -> AsyncIterator[Endpoint]:
    async for made in open_endpoint(tmp_path):
        yield made


async def test_ping_is_answered_at_both_paths_and_shows_in_healthz(endpoint: Endpoint) -> None:
    for path in (PATH, PATH + "/notification"):
        endpoint.market.url = path
        answer = await endpoint.market.send(ping())  # checked against the contract
        assert answer.status_code == 200 and answer.json()["name"] == "market-dbs-bot"
    for _ in range(100):  # a PING is noted after its answer
        if await endpoint.rows():
            break
        await asyncio.sleep(0.01)
    assert await endpoint.rows() == [("PING", None, "done")], "two PINGs of the same time noted once"
    health = (await endpoint.http.get("/healthz")).json()
    assert 0 <= health["last_notification_age_seconds"] < 30
    assert endpoint.counted("PING", "answered") == 2


async def test_a_notification_sent_twice_is_recorded_once_and_waits_for_the_worker(
    endpoint: Endpoint,
) -> None:
    for _ in range(2):
        answer = await endpoint.market.send(cancellation_request(5001, minute=3))
        assert answer.status_code == 200 and set(answer.json()) == {"version", "name", "time"}
    assert await endpoint.rows() == [("ORDER_CANCELLATION_REQUEST", 5001, "new")]
    [(inbox_id, event)] = await endpoint.inbox.due(10)
    assert (event.campaign_id, event.order_id, event.at.isoformat()) == (
        1001,
        5001,
        "2026-11-20T10:03:00+00:00",
    )
    assert (endpoint.counted(event.kind, "recorded"), endpoint.counted(event.kind, "duplicate")) == (1, 1)
    await endpoint.inbox.finish(inbox_id, "done", "alerted")
    assert await endpoint.inbox.due(10) == []
    assert await endpoint.inbox.last_seen(1001) is not None and await endpoint.inbox.last_seen(1002) is None


def chat_message(message_id: str, chat_id: int = 301, minute: int = 0) -> dict[str, object]:
    return {
        "notificationType": "CHAT_MESSAGE_SENT",
        "chatId": chat_id,
        "messageId": message_id,
        "businessId": 777,
        "sentAt": at(minute),
    }


async def test_two_messages_of_one_chat_at_one_moment_are_two_notifications_each_kept_once(
    endpoint: Endpoint,
) -> None:
    for body in (chat_message("9001"), chat_message("9002"), chat_message("9001"), chat_message("9002")):
        answer = await endpoint.market.send(body)  # checked against the contract (messageId a string)
        assert answer.status_code == 200
    due = await endpoint.inbox.due(10)
    assert [(event.kind, event.chat_id, event.message_id) for _, event in due] == [
        ("CHAT_MESSAGE_SENT", 301, 9001),
        ("CHAT_MESSAGE_SENT", 301, 9002),
    ], "two messages at the same moment are not one; the same one sent again is kept once"
    assert endpoint.counted("CHAT_MESSAGE_SENT", "duplicate") == 2
    stored = await endpoint.db.fetch_all("SELECT message_id FROM market_inbox ORDER BY id")
    assert [r["message_id"] for r in stored] == [9001, 9002]


@pytest.mark.parametrize(
    "body",
    [
        {
            "notificationType": "ORDER_CREATED",
            "campaignId": 1001,
            "items": [],
            "createdAt": "2026-11-20T10:00:00Z",
        },
        {**cancellation_request(5001), "orderId": "5001"},
        {**cancellation_request(5001), "campaignId": 0},
        {**cancellation_request(5001), "requestedAt": "вчера"},
        {"orderId": 5001},
        [cancellation_request(5001)],
        chat_message("первое"),
        chat_message(str(2**63)),
    ],
    ids=[
        "no orderId",
        "id as text",
        "campaign 0",
        "time not ISO",
        "no type",
        "a list",
        "messageId not a number",
        "messageId past SQLite's range",
    ],
)
async def test_a_malformed_notification_gets_400_and_is_not_recorded(
    endpoint: Endpoint, body: object
) -> None:
    answer = await endpoint.market.send(body, valid=False)  # the answer is checked against the contract
    assert answer.status_code == 400 and answer.json()["error"]["type"] == "WRONG_EVENT_FORMAT"
    assert await endpoint.rows() == []


async def test_a_body_that_is_not_json_gets_400_and_an_unknown_type_200(endpoint: Endpoint) -> None:
    for raw in (b"{not json", b"\xff\xfe", b"[" * 100_000, b"{}" + b" " * 70_000):
        answer = await endpoint.market.send(None, raw=raw)
        assert answer.status_code == 400 and answer.json()["error"]["type"] == "WRONG_EVENT_FORMAT"
    newer = {"notificationType": "SOMETHING_NEW", "createdAt": "2026-11-20T10:00:00Z"}
    answer = await endpoint.market.send(newer, valid=False)
    assert answer.status_code == 200, "a type the bot does not know yet is no reason for the Market to retry"
    assert await endpoint.rows() == [], "and it is not kept"
    assert endpoint.counted("other", "unknown") == 1


async def test_a_source_outside_the_allow_list_gets_403_and_nothing_is_recorded(endpoint: Endpoint) -> None:
    for source in (
        "203.0.113.5",  # anyone
        "5.45.207.17, 203.0.113.5",  # anyone, writing a Market address in the header themselves
        "5.45.207.200",  # next to the Market's range, not in it
        "not an address",
    ):
        answer = await endpoint.market.send(order_created(5001), source=source)
        assert answer.status_code == 403, source
    direct = await endpoint.http.post(PATH, json=order_created(5001))  # 127.0.0.1 itself: the proxy
    assert direct.status_code == 403
    assert await endpoint.rows() == []
    assert endpoint.counted("-", "refused") == 5
    ipv6 = await endpoint.market.send(order_created(5002), source="::ffff:141.8.142.9")
    assert ipv6.status_code == 200, "an IPv4 address written the IPv6 way is the same address"


async def test_a_full_inbox_answers_500_with_one_log_line_and_takes_again_once_worked_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async for endpoint in open_endpoint(tmp_path, cap=3):
        for order in (1, 2, 3):
            assert (await endpoint.market.send(order_created(order))).status_code == 200
        for _ in range(2):
            full = await endpoint.market.send(order_created(4))  # the answer is checked against the contract
            assert full.status_code == 500
        assert (await endpoint.market.send(order_created(1))).status_code == 200, "a duplicate is no new row"
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "market inbox full" in warnings[0]
        assert len(await endpoint.rows()) == 3
        [(first, _), *_] = await endpoint.inbox.due(10)
        await endpoint.inbox.finish(first, "done", "alerted")
        assert (await endpoint.market.send(order_created(4))).status_code == 200
        assert endpoint.counted("ORDER_CREATED", "full") == 2


async def test_metrics_count_notifications_by_type_and_outcome(endpoint: Endpoint) -> None:
    await endpoint.market.send(order_created(7))
    scraped = (await endpoint.http.get("/metrics")).text
    samples = {
        (s.labels.get("type"), s.labels.get("outcome")): s.value
        for family in text_string_to_metric_families(scraped)
        if family.name == "bot_market_notifications"
        for s in family.samples
        if s.name.endswith("_total")
    }
    assert samples[("ORDER_CREATED", "recorded")] == 1


async def test_a_second_forwarded_line_written_by_the_client_does_not_pass(endpoint: Endpoint) -> None:
    """A proxy that adds its own X-Forwarded-For line instead of joining the client's: the client's
    line (a Market address it made up) comes first, the address the proxy saw last."""
    headers = [("X-Forwarded-For", "5.45.207.17"), ("X-Forwarded-For", "203.0.113.9")]
    async with aiohttp.ClientSession() as http:
        url = str(endpoint.http.base_url).rstrip("/") + PATH
        async with http.post(url, json=order_created(5001), headers=headers) as answer:
            assert answer.status == 403
    assert await endpoint.rows() == []


async def test_a_refusal_tells_the_owner_what_to_change(
    endpoint: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    await endpoint.http.post(PATH, json=order_created(5001))  # from the trusted proxy, no header
    await endpoint.market.send(order_created(5001), source="203.0.113.5")
    said = [r.getMessage() for r in caplog.records if "refused (403)" in r.getMessage()]
    assert "without X-Forwarded-For" in said[0] and "proxy_set_header" in said[0]
    assert "203.0.113.5 is not in MARKET_NOTIFY_ALLOW" in said[1]


@pytest.mark.parametrize(
    ("setting", "level"), [({}, logging.INFO), ({"trusted_proxies": "127.0.0.1"}, logging.WARNING)]
)
def test_polling_without_http_port_says_notifications_are_not_served(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, setting: dict[str, str], level: int
) -> None:
    """An owner who set up push notifications (TRUSTED_PROXIES) but not HTTP_PORT is warned at start."""
    caplog.set_level(logging.INFO, logger="bot")
    settings = load_settings(bot_token="123456:" + "A" * 35, database_path=tmp_path / "db", **setting)
    say_http_is_off(settings)
    [record] = [r for r in caplog.records if "HTTP_PORT" in r.getMessage()]
    assert record.levelno == level and "set HTTP_PORT=8080" in record.getMessage()
