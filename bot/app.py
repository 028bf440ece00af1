"""Builds the dispatcher: routers, middlewares, the FSM storage and what handlers receive."""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields

from aiogram import Bot, Dispatcher, F
from aiogram.enums import ChatType
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats

from bot.delivery_services import DeliveryServiceCatalog
from bot.i18n import LANGUAGES, Catalogue, I18nMiddleware
from bot.market import MarketClient
from bot.middlewares import FloodControlMiddleware, InFlightUpdates, UserRecordMiddleware
from bot.operations import OperationSender, RetryPolicy
from bot.pending_keys import PendingKeys
from bot.telegram_safety import ForgivingRequests
from bot.worker import Notifier, RetryWorker
from handlers import build_routers
from storage.db import Database
from storage.repositories import (
    DeliveryServicesRepo,
    InvitesRepo,
    MembershipsRepo,
    OperationsRepo,
    SettingsRepo,
    ShopsRepo,
    UsersRepo,
)
from storage.secrets import SecretBox

COMMANDS = ("track", "date", "history", "shop", "team", "settings", "cancel", "help")


@dataclass(frozen=True, slots=True)
class Deps:
    """What handlers may ask for by parameter name (aiogram injects `Dispatcher(**deps)`)."""

    market: MarketClient
    users: UsersRepo
    shops: ShopsRepo
    memberships: MembershipsRepo
    settings: SettingsRepo
    operations: OperationsRepo
    delivery_services: DeliveryServiceCatalog
    sender: OperationSender
    pending_keys: PendingKeys
    catalogue: Catalogue
    invites: InvitesRepo
    invite_ttl_seconds: int
    notifier: Notifier


def build_deps(
    db: Database,
    market: MarketClient,
    box: SecretBox,
    policy: RetryPolicy | None = None,
    *,
    invite_ttl_seconds: int = 24 * 3600,
) -> Deps:
    shops = ShopsRepo(db, box)
    operations = OperationsRepo(db)
    users = UsersRepo(db)
    catalogue = Catalogue()
    services = DeliveryServiceCatalog(market, DeliveryServicesRepo(db))
    return Deps(
        market=market,
        users=users,
        shops=shops,
        memberships=MembershipsRepo(db),
        settings=SettingsRepo(db),
        operations=operations,
        delivery_services=services,
        sender=OperationSender(market, operations, shops, policy),
        pending_keys=PendingKeys(),
        catalogue=catalogue,
        invites=InvitesRepo(db),
        invite_ttl_seconds=invite_ttl_seconds,
        notifier=Notifier(catalogue, users, services, shops),
    )


def install_session_middlewares(bot: Bot) -> None:
    bot.session.middleware(ForgivingRequests())


def build_worker(bot: Bot, deps: Deps, *, poll_interval: float = 2.0) -> RetryWorker:
    notify = functools.partial(deps.notifier.result_later, bot)
    return RetryWorker(deps.sender, deps.operations, notify, poll_interval=poll_interval)


def create_dispatcher(
    *,
    storage: BaseStorage,
    deps: Deps,
    flood: FloodControlMiddleware | None = None,
    in_flight: InFlightUpdates | None = None,
) -> Dispatcher:
    # Not dataclasses.asdict: it deep-copies, and the client and repositories must be shared.
    dp = Dispatcher(
        storage=storage,
        # One user's updates run one at a time (no races on their conversation); users run in parallel.
        events_isolation=SimpleEventIsolation(),
        **{f.name: getattr(deps, f.name) for f in fields(deps)},
    )
    # The bot works in private chats only: a group never sees a courier's order or a shop's key.
    dp.message.filter(F.chat.type == ChatType.PRIVATE)
    # Order matters: track the update first, then texts (the flood notice needs them), then drop
    # floods before any database write.
    if in_flight is not None:
        dp.update.outer_middleware(in_flight)
    dp.update.outer_middleware(I18nMiddleware(deps.catalogue))
    dp.update.outer_middleware(flood or FloodControlMiddleware())
    dp.update.outer_middleware(UserRecordMiddleware(deps.users))
    dp.include_routers(*build_routers())
    dp.startup.register(set_commands)
    return dp


async def set_commands(bot: Bot, catalogue: Catalogue) -> None:
    """The command menu in Russian (default) and English."""
    scope = BotCommandScopeAllPrivateChats()
    for lang in LANGUAGES:
        t = catalogue.texts(lang)
        commands = [BotCommand(command=c, description=t(f"command-{c}")) for c in COMMANDS]
        await bot.set_my_commands(commands, scope=scope, language_code=None if lang == "ru" else lang)
