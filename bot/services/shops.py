"""Connecting shops with an API key, choosing the active one, notices, replacing keys, disconnecting."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import (
    CampaignTaken,
    KeyCannotProcessOrders,
    KeyExpired,
    KeyNotChecked,
    KeyRefused,
    NoCampaigns,
    NotAMember,
)
from bot.domain.market_data import Campaign
from bot.domain.records import CourierDates, Role, Shop, ShopMembership
from bot.market.client import MarketClient
from bot.market.errors import ForbiddenError, MarketError, UnauthorizedError
from bot.market.models import TokenInfo
from bot.services.access import Access
from bot.services.notices import Notice, Notices, OrderNumbers
from bot.services.pending_keys import PendingKeys
from storage.db import Database
from storage.repositories import Repos
from storage.secrets import SecretBox


@dataclass(frozen=True, slots=True)
class KeyOffer:
    """What a key reaches: its campaigns, DBS and active ones first."""

    campaigns: list[Campaign]
    chats: bool = True  # the key reaches buyers' chats (its scopes, when the Market said them)


@dataclass(frozen=True, slots=True)
class Connected:
    shop: Shop
    is_dbs: bool


def rank_campaigns(campaigns: list[Campaign]) -> list[Campaign]:
    """DBS first (the bot is for them), then those with the API available, then by name."""
    return sorted(campaigns, key=lambda c: (not c.is_dbs, not c.is_available, c.domain or "", c.id))


async def connect_shop(
    db: Database,
    box: SecretBox,
    *,
    owner_id: int,
    campaign_id: int,
    api_key: str,
    domain: str | None = None,
    business_id: int | None = None,
    business_name: str | None = None,
    placement_type: str | None = None,
) -> Shop:
    """Save a campaign with its (encrypted) key, make the user its owner and their active shop.

    In one transaction. Connecting a campaign that is already here replaces its key and details; a
    previous owner stays in the team as a courier.
    """
    async with db.transaction() as tx:
        repos = Repos.on(tx, box)
        await repos.users.ensure(owner_id)
        shop = await repos.shops.upsert(
            campaign_id=campaign_id,
            owner_id=owner_id,
            api_key=api_key,
            domain=domain,
            business_id=business_id,
            business_name=business_name,
            placement_type=placement_type,
        )
        await repos.memberships.demote_other_owners(shop.id, owner_id)
        await repos.memberships.put(owner_id, shop.id, Role.OWNER)
        await repos.preferences.set_active_shop(owner_id, shop.id)
    return shop


class ShopsService:
    def __init__(
        self, db: Database, box: SecretBox, market: MarketClient, notices: Notices, pending: PendingKeys
    ) -> None:
        self._db = db
        self._box = box
        self._market = market
        self._notices = notices
        self.pending = pending

    @property
    def _repos(self) -> Repos:
        return Repos.on(self._db, self._box)

    async def offer_key(self, user_id: int, api_key: str) -> KeyOffer:
        """Check a key with the Market and keep it (in memory only) until the owner picks a campaign.

        Raises `KeyRefused` for a key the Market refuses, `KeyNotChecked` when it could not say (no
        answer, or busy), `NoCampaigns` for a key that reaches none, `KeyCannotProcessOrders` for a key
        whose scopes allow no order processing (read-only, say).
        """
        try:
            campaigns = await self._market.get_campaigns(api_key)
        except MarketError as exc:
            if exc.retryable:  # no answer, or a busy Market: the key was not judged
                raise KeyNotChecked from exc
            wrong_key = isinstance(exc, UnauthorizedError | ForbiddenError)
            raise KeyRefused(exc.failure, wrong_key=wrong_key) from exc
        if not campaigns:
            raise NoCampaigns
        scopes = await self._scopes(api_key)
        if scopes is not None and not scopes.can_process_orders:
            raise KeyCannotProcessOrders
        self.pending.put(user_id, api_key, campaigns)
        return KeyOffer(rank_campaigns(campaigns), chats=scopes is None or scopes.can_chat)

    async def offer_same_key(self, access: Access) -> KeyOffer:
        """The other shops the active shop's key reaches, to connect without pasting the key again
        (those the user owns here already left out). Raises as `offer_key` does."""
        offer = await self.offer_key(access.user_id, access.api_key)
        owned = {
            m.shop.campaign_id
            for m in await self._repos.memberships.shops_of(access.user_id)
            if m.role is Role.OWNER
        }
        return KeyOffer([c for c in offer.campaigns if c.id not in owned])

    async def _scopes(self, api_key: str) -> TokenInfo | None:
        """What the key may do, as the Market says (None when it did not say: the check is a
        courtesy, without it the key may still work)."""
        try:
            return await self._market.get_token_info(api_key)
        except MarketError:
            return None

    async def connect(self, user_id: int, campaign_id: int) -> Connected:
        """Connect the chosen campaign with the key offered before.

        A campaign another user owns here is refused (`CampaignTaken`) and its owner is told who tried:
        holding some key of the business is no right to take a shop over.
        """
        pending = self.pending.get(user_id)
        campaign = pending.campaigns.get(campaign_id) if pending else None
        if pending is None or campaign is None:
            raise KeyExpired
        taken = await self._repos.shops.by_campaign(campaign.id)
        if taken is not None and taken.owner_id != user_id:
            self.pending.pop(user_id)
            name = (await self._repos.users.names([user_id])).get(user_id, str(user_id))
            await self._notices.tell(taken.owner_id, "shop-connect-attempt", name=name, shop=taken.title)
            raise CampaignTaken(taken.title)
        shop = await connect_shop(
            self._db,
            self._box,
            owner_id=user_id,
            campaign_id=campaign.id,
            api_key=pending.api_key,
            domain=campaign.domain,
            business_id=campaign.business.id if campaign.business else None,
            business_name=campaign.business.name if campaign.business else None,
            placement_type=campaign.placement_type,
        )
        self.pending.pop(user_id)
        former = [] if taken is None or taken.owner_id == user_id else [taken.owner_id]
        await self._notices.roles_changed([user_id, *former])
        return Connected(shop, campaign.is_dbs)

    async def mine(self, user_id: int) -> tuple[list[ShopMembership], int | None]:
        """The user's shops and which of them is active."""
        repos = self._repos
        return await repos.memberships.shops_of(user_id), await repos.preferences.active_shop_id(user_id)

    async def switch(self, user_id: int, shop_id: int) -> Shop:
        repos = self._repos
        membership = await repos.memberships.of_user_in(user_id, shop_id)
        if membership is None:
            raise NotAMember
        await repos.preferences.set_active_shop(user_id, shop_id)
        return membership.shop

    async def toggle_notices(self, shop: Shop) -> Shop:
        repos = self._repos
        await repos.shops.set_notify_owner(shop.id, not shop.notify_owner)
        return await repos.shops.get(shop.id) or shop

    async def next_courier_dates(self, shop: Shop) -> Shop:
        """The owner's switch for couriers moving dates: buyer's reason only → any reason → not at all."""
        order = list(CourierDates)
        following = order[(order.index(shop.courier_dates) + 1) % len(order)]
        repos = self._repos
        await repos.shops.set_courier_dates(shop.id, following)
        return await repos.shops.get(shop.id) or shop

    async def unfinished_count(self, shop: Shop) -> int:
        return len(await self._repos.operations.unfinished(shop.id))

    async def disconnect(self, shop: Shop) -> list[int]:
        """Forget the shop (its key, team, invites and operations). Everyone else affected gets one
        message, naming the orders of their operations that will not be sent, after the owner is
        answered. Returns the orders of the owner's own such operations (the owner's answer names them)."""
        async with self._db.transaction() as tx:
            repos = Repos.on(tx, self._box)
            dropped = await repos.operations.unfinished(shop.id)
            members = await repos.memberships.team(shop.id)
            team = [m.user_id for m in members]
            couriers = [m.user_id for m in members if m.role is Role.COURIER]
            await repos.shops.delete(shop.id)
        await self._notices.roles_changed(team)
        orders: dict[int, dict[int, None]] = {}  # user → their orders, in order, each once
        for op in dropped:
            orders.setdefault(op.user_id, {})[op.order_id] = None
        self._notices.tell_soon(
            [
                _disconnected(shop, user_id, list(orders.get(user_id, ())))
                for user_id in dict.fromkeys([*couriers, *orders])
                if user_id != shop.owner_id
            ]
        )
        return list(orders.get(shop.owner_id, ()))


def _disconnected(shop: Shop, user_id: int, orders: list[int]) -> Notice:
    if not orders:
        return Notice(user_id, "team-shop-disconnected", {"shop": shop.title})
    args = {"shop": shop.title, "orders": OrderNumbers(orders), "count": len(orders)}
    return Notice(user_id, "team-shop-disconnected-ops", args)
