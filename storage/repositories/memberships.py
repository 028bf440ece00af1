"""The `memberships` table: who may act for which shop, and in what role."""

from __future__ import annotations

import sqlite3

from bot.domain.records import Member, Membership, Role, ShopMembership
from storage.db import Executor
from storage.repositories.shops import COLUMNS, shop_of

SHOP_WITH_ROLE = ", ".join(f"s.{c.strip()}" for c in COLUMNS.split(",")) + ", m.role"


def shop_membership(row: sqlite3.Row) -> ShopMembership:
    return ShopMembership(shop=shop_of(row), role=row["role"])


class MembershipsRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    async def put(self, user_id: int, shop_id: int, role: Role) -> Membership:
        """Add the user to the shop with `role`, or change their role there."""
        await self._ex.execute(
            "INSERT INTO memberships (user_id, shop_id, role) VALUES (?, ?, ?) "
            "ON CONFLICT(user_id, shop_id) DO UPDATE SET role = excluded.role",
            (user_id, shop_id, role.value),
        )
        return Membership(user_id=user_id, shop_id=shop_id, role=role)

    async def demote_other_owners(self, shop_id: int, owner_id: int) -> None:
        """Anyone else who owned the shop keeps working in it as a courier."""
        await self._ex.execute(
            "UPDATE memberships SET role = 'courier' WHERE shop_id = ? AND role = 'owner' AND user_id != ?",
            (shop_id, owner_id),
        )

    async def remove(self, user_id: int, shop_id: int) -> bool:
        removed = await self._ex.execute(
            "DELETE FROM memberships WHERE user_id = ? AND shop_id = ?", (user_id, shop_id)
        )
        return removed > 0

    async def get(self, user_id: int, shop_id: int) -> Membership | None:
        row = await self._ex.fetch_one(
            "SELECT user_id, shop_id, role FROM memberships WHERE user_id = ? AND shop_id = ?",
            (user_id, shop_id),
        )
        return Membership.model_validate(dict(row)) if row else None

    async def of_user_in(self, user_id: int, shop_id: int) -> ShopMembership | None:
        """The shop with the user's role in it, only while the user is a member."""
        row = await self._ex.fetch_one(
            f"SELECT {SHOP_WITH_ROLE} FROM memberships m JOIN shops s ON s.id = m.shop_id "
            "WHERE m.user_id = ? AND m.shop_id = ?",
            (user_id, shop_id),
        )
        return shop_membership(row) if row else None

    async def shops_of(self, user_id: int) -> list[ShopMembership]:
        rows = await self._ex.fetch_all(
            f"SELECT {SHOP_WITH_ROLE} FROM memberships m JOIN shops s ON s.id = m.shop_id "
            "WHERE m.user_id = ? ORDER BY m.created_at, s.id",
            (user_id,),
        )
        return [shop_membership(r) for r in rows]

    async def team(self, shop_id: int) -> list[Member]:
        """Everyone in a shop, owner first, with their names."""
        rows = await self._ex.fetch_all(
            "SELECT m.user_id, m.role, u.name FROM memberships m JOIN users u ON u.id = m.user_id "
            "WHERE m.shop_id = ? ORDER BY m.role = 'courier', m.created_at, m.user_id",
            (shop_id,),
        )
        return [Member.model_validate(dict(r)) for r in rows]
