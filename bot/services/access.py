"""Who may act for which shop: resolved from the database at the moment it is asked."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.records import CourierDates, Role, Shop
from storage.db import Database
from storage.repositories import MembershipsRepo, PreferencesRepo, ShopsRepo
from storage.secrets import SecretBox


@dataclass(frozen=True, slots=True)
class Access:
    """A user's right to act for one shop, checked just now, with the shop's key for the Market."""

    user_id: int
    shop: Shop
    role: Role
    api_key: str

    @property
    def shop_id(self) -> int:
        return self.shop.id

    @property
    def campaign_id(self) -> int:
        return self.shop.campaign_id

    @property
    def is_owner(self) -> bool:
        return self.role is Role.OWNER

    @property
    def may_move_dates(self) -> bool:
        """Owners always; couriers unless the owner turned their date moves off (/team). Which reasons
        a courier may give is `CourierDates.allows`."""
        return self.is_owner or self.shop.courier_dates is not CourierDates.NONE


class AccessService:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self._db = db
        self._box = box

    async def active_shop_id(self, user_id: int) -> int | None:
        return await PreferencesRepo(self._db).active_shop_id(user_id)

    async def to(self, user_id: int, shop_id: int) -> Access | None:
        """The user's access to this shop, or None if they are not (or no longer) a member."""
        membership = await MembershipsRepo(self._db).of_user_in(user_id, shop_id)
        if membership is None:
            return None
        api_key = await ShopsRepo(self._db, self._box).api_key(shop_id)
        return Access(user_id, membership.shop, membership.role, api_key) if api_key else None
