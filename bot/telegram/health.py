"""The bot's HTTP side: the Telegram webhook (aiogram's aiohttp integration), `GET /healthz` and
`GET /metrics` (Prometheus text format, prometheus-client).

Metrics carry no personal data and no keys: update types, Market operations as "METHOD /path/{template}"
with their status, alert kinds, operation statuses, the Market's push notifications by type and outcome.
The endpoint for those is bot/telegram/market_notify.py, served here too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.methods import TelegramMethod
from aiogram.types import TelegramObject, Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from bot.domain.clock import utcnow
from bot.services.background import Tasks
from bot.services.vitals import DatabaseDown, Vitals
from bot.telegram.market_notify import MarketNotifications
from bot.telegram.safety import TokenConflicts

logger = logging.getLogger(__name__)


class Metrics:
    """The bot's counters, in a registry of their own (one per process, or per test)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter("bot_updates", "Updates handled, by type", ["type"], registry=r)
        self.handler_seconds = Histogram(
            "bot_handler_seconds",
            "Time from an update's arrival to the end of its handling",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
            registry=r,
        )
        self.market_calls = Counter(
            "bot_market_calls",
            "Market API calls, by operation and status",
            ["operation", "status"],
            registry=r,
        )
        self.market_rate_limited = Counter(
            "bot_market_rate_limited",
            "Market answers 420 (rate limit), by operation",
            ["operation"],
            registry=r,
        )
        self.operations = Gauge("bot_operations", "Operations now, by status", ["status"], registry=r)
        self.retries = Counter(
            "bot_operation_retries", "Attempts at an operation after its first", registry=r
        )
        self.alerts_sent = Counter("bot_alerts_sent", "Alert messages sent, by kind", ["kind"], registry=r)
        self.notifications = Counter(
            "bot_market_notifications",
            "The Market's push notifications, by type and outcome (recorded, duplicate, answered, "
            "malformed, refused, full, unknown)",
            ["type", "outcome"],
            registry=r,
        )
        self.last_update: float | None = None  # time.monotonic() when the last update was handled

    def market_call(self, operation: str, status: int | str) -> None:
        self.market_calls.labels(operation=operation, status=str(status)).inc()
        if status == 420:
            self.market_rate_limited.labels(operation=operation).inc()

    def notification(self, kind: str, outcome: str) -> None:
        self.notifications.labels(type=kind, outcome=outcome).inc()

    def alert_sent(self, kind: str) -> None:
        self.alerts_sent.labels(kind=str(kind)).inc()

    async def render(self, vitals: Vitals) -> bytes:
        for state, n in (await vitals.operation_counts()).items():
            self.operations.labels(status=state).set(n)
        return generate_latest(self.registry)


class WebhookRequests(SimpleRequestHandler):
    """aiogram's webhook handler, answering what anyone who can reach the port may send as a client
    error instead of a 500 with a traceback in the log: a secret header that is not ASCII (Python's
    `compare_digest` raises on it) is a wrong secret, 401; a body that is not JSON, or not an Update,
    400 (aiogram reads it only after answering 200, and its error surfaces nowhere useful).

    As aiogram's does by default, an update is handled after the 200 is sent (Telegram waits for
    nothing); here it is read and checked before."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._feeding = Tasks()  # updates being handled: kept from the GC, a fault logged

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        # The secret itself is ASCII (the settings check it), so a header that is not never matches.
        return telegram_secret_token.isascii() and super().verify_secret(telegram_secret_token, bot)

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        if not self.verify_secret(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), bot):
            return web.Response(body="Unauthorized", status=401)
        try:
            update = Update.model_validate(
                await request.json(loads=bot.session.json_loads), context={"bot": bot}
            )
        except (ValueError, RecursionError):  # not UTF-8, not JSON, not an Update, or nested past reason
            return web.Response(body="Bad Request", status=400)
        self._feeding.spawn(self._feed(bot, update), name=f"update-{update.update_id}")
        return web.json_response({}, dumps=bot.session.json_dumps)

    __call__ = handle

    async def _feed(self, bot: Bot, update: Update) -> None:
        """Handle the update (what no error handler took is logged by `Tasks`, as polling does)."""
        result = await self.dispatcher.feed_update(bot, update, **self.data)
        if isinstance(result, TelegramMethod):
            await self.dispatcher.silent_call_request(bot=bot, result=result)


class UpdateMetrics(BaseMiddleware):
    """Counts each update by type and times its handling (the outermost update middleware)."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._by_type: dict[str, Any] = {}  # the counter of each update type, looked up once

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            kind = event.event_type if isinstance(event, Update) else type(event).__name__
            counter = self._by_type.get(kind)
            if counter is None:
                counter = self._by_type[kind] = self._metrics.updates.labels(type=kind)
            counter.inc()
            self._metrics.handler_seconds.observe(time.perf_counter() - started)
            self._metrics.last_update = time.monotonic()


@dataclass
class Health:
    """What /healthz checks: the database answers, the background loops run."""

    vitals: Vitals
    metrics: Metrics
    loops: dict[str, Callable[[], bool]] = field(default_factory=dict)  # name → is it alive?
    conflicts: TokenConflicts | None = None  # another copy polling with this token

    async def report(self) -> tuple[bool, dict[str, Any]]:
        problems = []
        notified = None
        try:
            await self.vitals.check_database()
            database = "ok"
            notified = await self.vitals.last_notification()
        except DatabaseDown as exc:
            database = f"unreachable ({exc})"
            problems.append("database unreachable")
        loops = {name: "alive" if alive() else "stopped" for name, alive in self.loops.items()}
        problems += [f"{name} stopped" for name, state in loops.items() if state != "alive"]
        if self.conflicts is not None and self.conflicts.going_on:
            problems.append("another copy of the bot polls with this BOT_TOKEN")
        last = self.metrics.last_update
        body: dict[str, Any] = {
            "status": "ok" if not problems else "fail",
            "database": database,
            **loops,
            "last_update_age_seconds": None if last is None else round(time.monotonic() - last, 1),
            # The Market's push notifications (PING included); None: none came (or polling only).
            "last_notification_age_seconds": (
                None if notified is None else round((utcnow() - notified).total_seconds(), 1)
            ),
        }
        if problems:
            body["problems"] = problems
        return not problems, body


def add_routes(
    app: web.Application, health: Health, notifications: MarketNotifications | None = None
) -> None:
    """/healthz, /metrics and, when given, the endpoint for the Market's push notifications."""

    async def healthz(_: web.Request) -> web.Response:
        ok, body = await health.report()
        return web.json_response(body, status=200 if ok else 503)

    async def metrics(_: web.Request) -> web.Response:
        try:
            payload = await health.metrics.render(health.vitals)
        except DatabaseDown:  # the counters are still worth having
            payload = generate_latest(health.metrics.registry)
        return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    if notifications is not None:
        notifications.register(app)
