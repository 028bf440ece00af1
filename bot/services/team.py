"""A shop's team: invite links for couriers, joining by one, removing a courier, whether couriers may
write to buyers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.clock import utcnow
from bot.domain.errors import NotACourier
from bot.domain.invites import expiry, new_token, token_hash
from bot.domain.operations import Failure
from bot.domain.records import Invite, Member, Role, Shop
from bot.services.notices import Notices, OrderNumbers
from storage.db import Database
from storage.repositories import Repos
from storage.secrets import SecretBox


class JoinResult(StrEnum):
    JOINED = "joined"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    ALREADY_MEMBER = "already_member"


@dataclass(frozen=True, slots=True)
class Joined:
    result: JoinResult
    shop: Shop | None  # the invite's shop, when the invite was found


@dataclass(frozen=True, slots=True)
class NewInvite:
    token: str
    hours: int  # how long it is valid


class TeamService:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        notices: Notices,
        *,
        invite_ttl_seconds: int = 24 * 3600,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self._box = box
        self._notices = notices
        self._ttl = invite_ttl_seconds
        self._clock = clock

    @property
    def _repos(self) -> Repos:
        return Repos.on(self._db, self._box)

    async def members(self, shop: Shop) -> list[Member]:
        return await self._repos.memberships.team(shop.id)

    async def name(self, user_id: int) -> str:
        return (await self._repos.users.names([user_id])).get(user_id, str(user_id))

    async def invite(self, shop: Shop, created_by: int) -> NewInvite:
        """A single-use link payload; only its hash is stored."""
        token = new_token()
        expires_at = expiry(self._clock(), self._ttl)
        await self._repos.invites.create(
            shop_id=shop.id, created_by=created_by, token_hash=token_hash(token), expires_at=expires_at
        )
        return NewInvite(token, max(1, self._ttl // 3600))

    async def join(self, user_id: int, token: str) -> Joined:
        """Use an invite: the user joins its shop as a courier and makes it their active shop.

        All in one transaction, so an invite is used once even if two people try at the same moment.
        The owner is told who joined.
        """
        now = self._clock()
        hashed = token_hash(token)
        async with self._db.transaction() as tx:
            repos = Repos.on(tx, self._box)
            invite = await repos.invites.find(hashed)
            shop = await repos.shops.get(invite.shop_id) if invite else None
            if invite is None or shop is None:
                return Joined(JoinResult.UNKNOWN, None)
            if invite.used_by is not None:
                return Joined(JoinResult.USED, shop)
            if invite.expires_at <= now:
                return Joined(JoinResult.EXPIRED, shop)
            if await repos.memberships.get(user_id, shop.id) is not None:
                return Joined(JoinResult.ALREADY_MEMBER, shop)
            await repos.invites.mark_used(hashed, user_id, now)
            await repos.users.ensure(user_id)
            await repos.memberships.put(user_id, shop.id, Role.COURIER)
            await repos.preferences.set_active_shop(user_id, shop.id)
        await self._notices.roles_changed([user_id])
        await self._notices.tell(
            shop.owner_id, "team-courier-joined", name=await self.name(user_id), shop=shop.title
        )
        return Joined(JoinResult.JOINED, shop)

    async def open_invites(self, shop: Shop) -> list[Invite]:
        """Invites not used yet and still valid, the one that lasts longest last."""
        return await self._repos.invites.unused(shop.id, self._clock())

    async def revoke_invites(self, shop: Shop) -> int:
        return await self._repos.invites.revoke_unused(shop.id)

    async def toggle_couriers_write(self, shop: Shop) -> Shop:
        """The owner's switch «💬 Couriers write to buyers»: allowed ↔ not; the shop as it now is."""
        repos = self._repos
        await repos.shops.set_couriers_write(shop.id, not shop.couriers_write)
        return await repos.shops.get(shop.id) or shop

    async def hand_over(self, shop: Shop, user_id: int) -> str:
        """Make a courier the owner (the owner stays on as a courier); unused invites are revoked.
        Returns the new owner's name; `NotACourier` if they are not (or no longer) in the team."""
        name = await self.courier_name(shop, user_id)
        async with self._db.transaction() as tx:
            repos = Repos.on(tx, self._box)
            await repos.shops.set_owner(shop.id, user_id)
            await repos.memberships.put(user_id, shop.id, Role.OWNER)
            await repos.memberships.put(shop.owner_id, shop.id, Role.COURIER)
            await repos.invites.revoke_unused(shop.id)
        await self._notices.roles_changed([user_id, shop.owner_id])
        old_owner = await self.name(shop.owner_id)
        await self._notices.tell(user_id, "team-you-are-owner", name=old_owner, shop=shop.title)
        return name

    async def courier_name(self, shop: Shop, user_id: int) -> str:
        """The name of a courier of this shop; `NotACourier` for anyone else (revealing nothing)."""
        member = await self._repos.memberships.get(user_id, shop.id)
        if member is None or member.role is not Role.COURIER:
            raise NotACourier
        return await self.name(user_id)

    async def remove_courier(self, shop: Shop, user_id: int) -> Removed:
        """Remove a courier (never the owner), cancel what they left queued, and tell them."""
        name = await self.courier_name(shop, user_id)
        cancelled = Failure(None, "CANCELLED", "cancelled: the courier was removed from the team")
        async with self._db.transaction() as tx:
            repos = Repos.on(tx, self._box)
            await repos.memberships.remove(user_id, shop.id)
            dropped = await repos.operations.cancel_queued(
                shop.id, user_id, cancelled.to_json(), self._clock()
            )
        orders = sorted({op.order_id for op in dropped})
        await self._notices.roles_changed([user_id])
        await self._notices.tell(user_id, "team-you-were-removed", shop=shop.title)
        if orders:
            await self._notices.tell(
                user_id, "team-ops-cancelled", orders=OrderNumbers(orders), count=len(orders)
            )
        return Removed(name, orders)


@dataclass(frozen=True, slots=True)
class Removed:
    name: str
    cancelled_orders: list[int]  # orders whose operations the courier left queued, now cancelled
