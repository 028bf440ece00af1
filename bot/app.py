"""The wiring: services, routers, middlewares, the FSM storage, what handlers receive, and `run`."""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import gc
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiohttp import ClientConnectorDNSError, ClientConnectorError, ClientSSLError, web

from bot.config import ConfigError, Settings
from bot.domain.retry import RetryPolicy
from bot.market.client import MarketClient
from bot.market.transport import MarketTransport
from bot.services.access import AccessService
from bot.services.alerts.answers import CancellationAnswers
from bot.services.alerts.outbox import AlertOutbox
from bot.services.alerts.poller import AlertPoller
from bot.services.alerts.switches import AlertSwitches
from bot.services.barcodes import BarcodeReader
from bot.services.bulk import BulkSends
from bot.services.chats.desk import ChatDesk
from bot.services.chats.feed import ChatFeed
from bot.services.delivery_services import DeliveryServices
from bot.services.housekeeping import Housekeeping
from bot.services.notifications.effects import Effects
from bot.services.notifications.inbox import MarketInbox
from bot.services.notifications.worker import NotificationWorker
from bot.services.operations import Operations
from bot.services.orders import OrdersService
from bot.services.pending_keys import PendingKeys
from bot.services.shops import ShopsService
from bot.services.tables import TableReader
from bot.services.team import TeamService
from bot.services.users import MenuRecords, UsersService
from bot.services.vitals import Vitals
from bot.services.worker import RetryWorker
from bot.telegram.access import AccessMiddleware
from bot.telegram.filters import private_chat
from bot.telegram.flows import Flows
from bot.telegram.health import Health, Metrics, UpdateMetrics, WebhookRequests, add_routes
from bot.telegram.i18n import Catalogue, I18nMiddleware
from bot.telegram.live_keyboards import LiveKeyboards
from bot.telegram.market_notify import MarketNotifications
from bot.telegram.menus import Menus
from bot.telegram.middlewares import FloodControl, InFlightUpdates, UserRecordMiddleware
from bot.telegram.notifier import Notifier
from bot.telegram.presses import PressAnswers, PressErrors
from bot.telegram.safety import ForgivingRequests, TokenConflicts
from bot.telegram.session import JsonSession
from bot.telegram.waiting import Waiting
from handlers import build_router
from storage.db import Database
from storage.fsm import SQLiteStorage
from storage.secrets import SecretBox

logger = logging.getLogger("bot")
DEFAULT_HTTP_PORT = 8080
T = TypeVar("T")
TELEGRAM_RETRY_CAP = 60.0  # seconds between start-up's attempts to reach Telegram, at most


@dataclass(frozen=True, slots=True)
class Deps:
    """Everything built once per process. Handlers receive the services by these names."""

    catalogue: Catalogue
    shops: ShopsService
    team: TeamService
    orders: OrdersService
    operations: Operations
    barcodes: BarcodeReader
    tables: TableReader
    bulk: BulkSends
    alert_answers: CancellationAnswers
    alert_switches: AlertSwitches
    chats: ChatDesk
    # Used by the wiring only, not handed to handlers:
    alert_poller: AlertPoller
    chat_feed: ChatFeed  # buyers' messages to the team (polled, and from notifications)
    alert_outbox: AlertOutbox
    menus: Menus
    notifier: Notifier
    access: AccessService
    users: UsersService
    housekeeping: Housekeeping
    inbox: MarketInbox  # the Market's push notifications, written by the HTTP endpoint
    notifications: NotificationWorker  # acts on what the inbox holds

    def for_handlers(self) -> dict[str, Any]:
        return {
            "catalogue": self.catalogue,
            "users": self.users,
            "shops": self.shops,
            "team": self.team,
            "orders": self.orders,
            "operations": self.operations,
            "barcodes": self.barcodes,
            "tables": self.tables,
            "bulk": self.bulk,
            "alert_answers": self.alert_answers,
            "alert_switches": self.alert_switches,
            "chats": self.chats,
        }


def build_deps(
    bot: Bot,
    db: Database,
    market: MarketClient,
    box: SecretBox,
    policy: RetryPolicy | None = None,
    *,
    invite_ttl_seconds: int = 24 * 3600,
    orders_poll_seconds: float = 120.0,
    orders_backstop_seconds: float = 900.0,
    chats_poll_seconds: float = 60.0,
) -> Deps:
    catalogue = Catalogue.default()
    delivery_services = DeliveryServices(market, db)
    users = UsersService(db)
    orders = OrdersService(db, box, market, delivery_services)
    menus = Menus(bot, catalogue, MenuRecords(db))
    notifier = Notifier(bot, catalogue, users, delivery_services, menus)
    operations = Operations(db, box, market, notifier, orders, policy)
    alert_outbox = AlertOutbox(db, box, notifier)
    inbox = MarketInbox(db)
    chat_feed = ChatFeed(
        db,
        box,
        market,
        orders,
        notifier,
        poll_seconds=chats_poll_seconds,
        backstop_seconds=orders_backstop_seconds,
    )
    effects = Effects(db, box, orders, operations, alert_outbox, chat_feed)
    notifications = NotificationWorker(inbox, effects)
    return Deps(
        catalogue=catalogue,
        shops=ShopsService(db, box, market, notifier, PendingKeys()),
        team=TeamService(db, box, notifier, invite_ttl_seconds=invite_ttl_seconds),
        orders=orders,
        operations=operations,
        barcodes=BarcodeReader(),
        tables=TableReader(),
        bulk=BulkSends(db, box, operations, orders, notifier),
        alert_answers=CancellationAnswers(db, box, operations, alert_outbox),
        alert_switches=AlertSwitches(db),
        chats=ChatDesk(db, box, market, orders, operations, notifier),
        chat_feed=chat_feed,
        alert_poller=AlertPoller(
            db,
            box,
            market,
            orders,
            alert_outbox,
            poll_seconds=orders_poll_seconds,
            backstop_seconds=orders_backstop_seconds,
            last_seen=notifications.last_seen,  # a shop whose notifications arrive: a backstop poll
        ),
        alert_outbox=alert_outbox,
        menus=menus,
        notifier=notifier,
        access=AccessService(db, box),
        users=users,
        housekeeping=Housekeeping(db),
        inbox=inbox,
        notifications=notifications,
    )


def build_bot(token: str, api_url: str | None = None) -> Bot:
    """The bot's Bot API client: the JSON session (see bot.telegram.session), Telegram's server or
    the one at `api_url` (TELEGRAM_API_URL), replies in HTML."""
    session = JsonSession(api=TelegramAPIServer.from_base(api_url)) if api_url else JsonSession()
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def install_session_middlewares(bot: Bot) -> TokenConflicts:
    """The bot's session middlewares; returns the watch for another copy polling with this token."""
    conflicts = TokenConflicts()
    bot.session.middleware(conflicts)
    bot.session.middleware(ForgivingRequests())
    bot.session.middleware(LiveKeyboards())
    return conflicts


def build_worker(deps: Deps, *, poll_interval: float = 2.0, owed_after: float = 30.0) -> RetryWorker:
    """The retry worker; results not told within `owed_after` seconds are delivered by it."""
    return RetryWorker(
        deps.operations,
        poll_interval=poll_interval,
        owed_after=dt.timedelta(seconds=owed_after),
        housekeeping=deps.housekeeping,
        batches=deps.bulk,
    )


def create_dispatcher(
    *,
    storage: BaseStorage,
    deps: Deps,
    flood: FloodControl | None = None,
    in_flight: InFlightUpdates | None = None,
    metrics: Metrics | None = None,
) -> Dispatcher:
    flows = Flows()  # the conversations, by name: handler modules add theirs while the router is built
    dp = Dispatcher(
        storage=storage,
        # One user's updates run one at a time (no races on their conversation); users run in parallel.
        events_isolation=SimpleEventIsolation(),
        # Registered below, after flood control counts arrivals (which must happen outside the lock).
        disable_fsm=True,
        **deps.for_handlers(),
        menus=deps.menus,
        flows=flows,
    )
    # The bot works in private chats only: a group never sees a courier's order or a shop's key.
    dp.message.filter(private_chat)
    # Order matters: track the update first, then texts (flood notices need them), then count it on
    # arrival, then the per-user lock (FSM), then wait for its paced start, then remember the user.
    flood = flood or FloodControl()
    if metrics is not None:
        dp.update.outer_middleware(UpdateMetrics(metrics))
    if in_flight is not None:
        dp.update.outer_middleware(in_flight)
    dp.update.outer_middleware(I18nMiddleware(deps.catalogue))
    dp.update.outer_middleware(flood.arrival)
    dp.update.outer_middleware(dp.fsm)
    dp.update.outer_middleware(flood.pacing)
    dp.update.outer_middleware(UserRecordMiddleware(deps.users))
    # The access each handler declares (flags=requires(...)), resolved once for the handler that matched.
    access = AccessMiddleware(deps.access)
    dp.message.middleware(access)
    dp.callback_query.middleware(access)
    # Then each press gets its one answer, and its handler's error is told within it (a refusal: the
    # press's alert).
    dp.callback_query.middleware(PressAnswers())
    dp.callback_query.middleware(PressErrors(dp))
    # Innermost: «typing…», then one line, while a handler waits (on the Market, mostly).
    waiting = Waiting()
    dp.message.middleware(waiting)
    dp.callback_query.middleware(waiting)
    dp.include_router(build_router(flows))
    dp.startup.register(set_menus)
    return dp


async def set_menus(menus: Menus) -> None:
    """The command menus and descriptions (see bot.telegram.menus)."""
    await menus.at_start()


async def run(settings: Settings, secret_key: bytes, stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or `stop` is set: in webhook mode, and while waiting for Telegram):
    long polling, or the webhook when WEBHOOK_URL is set; /healthz and /metrics on HTTP_PORT. Nothing
    is opened or started before Telegram answers (`wait_for_telegram`); ConfigError when it refuses
    the token."""
    stop = stop or asyncio.Event()
    api_url = str(settings.telegram_api_url) if settings.telegram_api_url else None
    bot = build_bot(settings.bot_token.get_secret_value(), api_url)
    conflicts = install_session_middlewares(bot)
    try:
        with stopping_on_signals(stop):
            reached = await wait_for_telegram(bot, stop, Patience.of(settings))
        if reached:
            await serve(settings, secret_key, bot, stop, conflicts)
        else:
            logger.info("stopped before Telegram answered")
    finally:
        await bot.session.close()
        # What gc.freeze() kept out of collections goes back, so that the interpreter's last
        # collection at exit frees it: left frozen, zxing-cpp's objects outlive its module and
        # nanobind prints a "leaked" line for each.
        gc.unfreeze()


@dataclass(frozen=True, slots=True)
class Patience:
    """How start-up waits for Telegram: a call unanswered within `timeout` seconds counts as
    unreachable; the next attempt comes `first_delay` seconds after the first failure, the wait
    doubling up to `max_delay`."""

    timeout: float = 10.0
    first_delay: float = 1.0
    max_delay: float = TELEGRAM_RETRY_CAP

    @classmethod
    def of(cls, settings: Settings) -> Patience:
        return cls(timeout=settings.telegram_timeout_seconds, first_delay=settings.telegram_retry_seconds)


async def wait_for_telegram(bot: Bot, stop: asyncio.Event, patience: Patience = Patience()) -> bool:
    """The first thing start-up asks Telegram: getMe until it answers (True), or until `stop` is set
    (False); see `at_start`."""
    # getMe, kept: polling asks for it again at its start
    return await at_start(bot.me, "getMe", stop, patience) is not None


async def at_start(
    call: Callable[[], Awaitable[T]], what: str, stop: asyncio.Event, patience: Patience = Patience()
) -> T | None:
    """The one way start-up calls Telegram: until it answers (the result), or until `stop` is set
    (None, at once: also while a call is waiting for an answer). Unreachable, silent or failing (a
    network error, no answer in time, 5xx, a proxy's error page): one line per attempt and a
    doubling wait, so a blip between two start-up calls ends no start. A refused token, or a call
    Telegram refuses, is no reason to wait: ConfigError."""
    delay = patience.first_delay
    while True:
        try:
            async with asyncio.timeout(patience.timeout):
                return await answered(call(), stop)
        except TelegramUnauthorizedError:
            raise ConfigError(
                "Telegram refused BOT_TOKEN (401 Unauthorized): it was revoked or mistyped; "
                "copy the bot's current token from @BotFather"
            ) from None
        except TelegramRetryAfter as exc:
            wait, reason = float(exc.retry_after), f"asked to wait {exc.retry_after} s"
        except (TelegramNetworkError, TelegramServerError) as exc:
            wait, reason = delay, why_unreachable(exc)
        except TimeoutError:
            wait, reason = delay, f"no answer in {patience.timeout:g} s"
        except ClientDecodeError:
            wait, reason = delay, "an answer that is not the Bot API's"
        except TelegramAPIError as exc:
            raise ConfigError(
                f"Telegram refused {what} ({exc.message}): check BOT_TOKEN, TELEGRAM_API_URL and WEBHOOK_URL"
            ) from None
        logger.warning("Telegram unreachable (%s), retrying in %g s", reason, wait)
        delay = min(delay * 2, patience.max_delay)
        try:
            await asyncio.wait_for(stop.wait(), wait)
        except TimeoutError:
            continue
        return None


async def answered(call: Awaitable[T], stop: asyncio.Event) -> T | None:
    """`call`'s result (or its error), or None as soon as `stop` is set. The call is cancelled then (as
    when this is cancelled): a SIGTERM does not wait for a Telegram that does not answer (aiogram's
    own timeout is a minute, longer than a supervisor waits before killing)."""
    attempt = asyncio.ensure_future(call)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait((attempt, stopping), return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not attempt.done():
            attempt.cancel()
            await asyncio.wait((attempt,))  # its connection closed before going on
    return attempt.result() if attempt in done else None


def why_unreachable(exc: TelegramNetworkError | TelegramServerError) -> str:
    """What kept Telegram from answering, in words: "cannot find api.telegram.org: Name or service not
    known", "cannot connect to 127.0.0.1:8081: Connection refused", rather than aiohttp's class name
    and asyncio's "Connect call failed (...)"; Telegram's own text for a 5xx."""
    cause = exc.__cause__
    if isinstance(cause, ClientConnectorDNSError):
        return f"cannot find {cause.host}: {cause.os_error.strerror or cause.os_error}"
    if isinstance(cause, ClientConnectorError) and not isinstance(cause, ClientSSLError):
        code = cause.os_error.errno
        said = os.strerror(code) if isinstance(code, int) and code in errno.errorcode else str(cause.os_error)
        return f"cannot connect to {cause.host}:{cause.port}: {said}"
    return exc.message


@contextmanager
def stopping_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set `stop` meanwhile (a clean exit instead of the default's abrupt one)."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        yield
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


async def serve(
    settings: Settings,
    secret_key: bytes,
    bot: Bot,
    stop: asyncio.Event,
    conflicts: TokenConflicts | None = None,
) -> None:
    """Everything but the bot itself: built, run in the mode the settings choose, then closed."""
    db = await Database.open(settings.database_path)
    transport = MarketTransport(str(settings.market_api_url), timeout=settings.market_timeout_seconds)
    client = MarketClient(transport)
    try:
        policy = RetryPolicy(
            base_seconds=settings.retry_base_seconds,
            cap_seconds=settings.retry_max_seconds,
            window=dt.timedelta(hours=settings.retry_window_hours),
        )
        deps = build_deps(
            bot,
            db,
            client,
            SecretBox(secret_key),
            policy,
            invite_ttl_seconds=settings.invite_ttl_seconds,
            orders_poll_seconds=settings.orders_poll_seconds,
            orders_backstop_seconds=settings.orders_backstop_seconds,
            chats_poll_seconds=settings.chats_poll_seconds,
        )
        metrics = Metrics()
        transport.on_call = metrics.market_call
        deps.operations.on_retry = metrics.retries.inc
        deps.alert_outbox.on_sent = metrics.alert_sent
        deps.chat_feed.on_told = lambda: metrics.alert_sent("chat_message")
        flood = FloodControl(settings.flood_limit, settings.flood_period_seconds)
        in_flight = InFlightUpdates()
        dp = create_dispatcher(
            storage=SQLiteStorage(db), deps=deps, flood=flood, in_flight=in_flight, metrics=metrics
        )
        worker = build_worker(deps)
        notifications = MarketNotifications(
            deps.inbox,
            path=settings.market_notify_path,
            allow=settings.market_notify_allow,
            trusted=settings.trusted_proxies,
            count=metrics.notification,
            heard=deps.notifications.heard,
        )
        health = Health(
            Vitals(db),
            metrics,
            {
                "retry_worker": lambda: worker.alive,
                "alerts_poller": lambda: deps.alert_poller.alive,
                "chats": lambda: deps.chat_feed.alive,
                "notifications": lambda: deps.notifications.alive,
            },
            conflicts,
        )
        await worker.start()
        await deps.alert_poller.start()
        await deps.chat_feed.start()
        deps.notifications.start()
        # What start-up built stays for the process's life: kept out of the garbage collector's
        # scans, so each collection looks only at what updates create (`run` unfreezes it at the end).
        gc.freeze()
        try:
            if settings.webhook_url is not None:
                await serve_webhook(settings, bot, dp, health, stop, in_flight, notifications)
            else:
                await poll(settings, bot, dp, health, stop, notifications)
        finally:
            # Handlers and retries already running get a few seconds to finish, side by side.
            grace = settings.shutdown_grace_seconds
            await asyncio.gather(
                in_flight.drain(grace),
                worker.stop(grace),
                deps.bulk.stop(grace),
                deps.alert_poller.stop(grace),
                deps.chat_feed.stop(grace),
                deps.notifications.stop(grace),
                deps.menus.stop(),
                deps.notifier.stop(grace),
                notifications.stop(grace),
            )
    finally:
        await transport.aclose()
        await db.close()
        logger.info("stopped")


async def _http(app: web.Application, settings: Settings, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.http_host, port).start()
    logger.info("HTTP on %s:%d serves %s", settings.http_host, port, ", ".join(served(app)))
    return runner


def served(app: web.Application) -> list[str]:
    """What the HTTP server answers, as "POST /tg/hook", "GET /healthz" (HEAD, added to each GET, aside)."""
    return [
        f"{route.method} {route.resource.canonical}"
        for route in app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    ]


async def poll(
    settings: Settings,
    bot: Bot,
    dp: Dispatcher,
    health: Health,
    stop: asyncio.Event,
    notifications: MarketNotifications | None = None,
) -> None:
    """Long polling; a webhook left from webhook mode is removed first (Telegram refuses getUpdates
    while one is set). /healthz, /metrics and the Market's notifications only when HTTP_PORT is set."""
    runner = None
    if settings.http_port is not None:
        app = web.Application()
        add_routes(app, health, notifications)
        runner = await _http(app, settings, settings.http_port)
    else:
        say_http_is_off(settings)
    try:
        with stopping_on_signals(stop):
            taken = await at_start(
                lambda: take_over_webhook(bot), "deleteWebhook", stop, Patience.of(settings)
            )
        if taken is None:
            return  # stopped while Telegram did not answer
        logger.info("starting long polling")
        await dp.start_polling(bot, handle_signals=True, close_bot_session=False)
    finally:
        if runner is not None:
            await runner.cleanup()


def say_http_is_off(settings: Settings) -> None:
    """Polling without HTTP_PORT: said at start, so an owner who set up push notifications is not
    left guessing why none arrive (a WARNING when the settings show they meant to)."""
    meant = bool(settings.trusted_proxies) or "market_notify_path" in settings.model_fields_set
    (logger.warning if meant else logger.info)(
        "polling without HTTP_PORT: /healthz, /metrics and the Market's push notifications (%s) "
        "are not served; set HTTP_PORT=8080 to receive them",
        settings.market_notify_path,
    )


async def take_over_webhook(bot: Bot) -> bool:
    """Telegram refuses getUpdates while a webhook is set: remove it. Left by webhook mode, that is a
    switch of modes; served by another copy of the bot, that copy gets nothing from now on: either
    way, not silently. True when done (there was one, or none)."""
    webhook = await bot.get_webhook_info()
    if webhook.url:
        logger.warning(
            "Telegram had a webhook set (%s); removed it to poll. If another copy of this bot serves "
            "that webhook, it gets no updates now: stop one of them",
            webhook.url,
        )
        await bot.delete_webhook(drop_pending_updates=False)
    return True


async def serve_webhook(
    settings: Settings,
    bot: Bot,
    dp: Dispatcher,
    health: Health,
    stop: asyncio.Event,
    in_flight: InFlightUpdates,
    notifications: MarketNotifications | None = None,
) -> None:
    """The webhook at WEBHOOK_URL's path (aiogram's aiohttp integration, see WebhookRequests): a
    request without the matching X-Telegram-Bot-Api-Secret-Token gets 401 and reaches no handler, a
    body that is not an Update 400. Registered with Telegram after the server listens; kept on stop,
    so Telegram holds updates until the next start."""
    if settings.webhook_url is None or settings.webhook_secret is None:  # the settings check both
        raise RuntimeError("webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET")
    secret = settings.webhook_secret.get_secret_value()
    app = web.Application()
    WebhookRequests(dispatcher=dp, bot=bot, secret_token=secret).register(
        app, path=settings.webhook_url.path or "/"
    )
    add_routes(app, health, notifications)
    runner = await _http(app, settings, settings.http_port or DEFAULT_HTTP_PORT)
    try:
        with stopping_on_signals(stop):
            await dp.emit_startup(bot=bot, **dp.workflow_data)
            webhook_set = await at_start(
                lambda: bot.set_webhook(
                    str(settings.webhook_url),
                    secret_token=secret,
                    allowed_updates=dp.resolve_used_update_types(),
                    drop_pending_updates=False,
                ),
                "setWebhook",
                stop,
                Patience.of(settings),
            )
            if webhook_set is not None:
                logger.info("webhook set; waiting for updates")
            await stop.wait()
            logger.info("stopping: no new updates are taken")
    finally:
        await runner.shutdown()  # stops listening; handlers running go on (drained by `run`)
        await in_flight.drain(settings.shutdown_grace_seconds)
        await runner.cleanup()
        await dp.emit_shutdown(bot=bot, **dp.workflow_data)
