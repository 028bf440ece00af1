"""Builds the dispatcher: routers, the FSM storage and the dependencies handlers receive."""

from __future__ import annotations

from dataclasses import dataclass, fields

from aiogram import Dispatcher, F
from aiogram.enums import ChatType
from aiogram.fsm.storage.base import BaseStorage

from bot.delivery_services import DeliveryServiceCatalog
from bot.market import MarketClient
from handlers import build_routers
from storage.repositories import (
    MembershipsRepo,
    OperationsRepo,
    SettingsRepo,
    ShopsRepo,
    UsersRepo,
)


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


def create_dispatcher(*, storage: BaseStorage, deps: Deps) -> Dispatcher:
    # Not dataclasses.asdict: it deep-copies, and the client and repositories must be shared.
    dp = Dispatcher(storage=storage, **{f.name: getattr(deps, f.name) for f in fields(deps)})
    # The bot works in private chats only: a group never sees a courier's order or a shop's key.
    dp.message.filter(F.chat.type == ChatType.PRIVATE)
    dp.include_routers(*build_routers())
    return dp
