"""The `invites` table: courier invite links, stored only as the hash of their payload."""

from __future__ import annotations

import datetime as dt

from bot.domain.records import Invite
from storage.db import Executor, timestamp


class InvitesRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    async def create(
        self, *, shop_id: int, created_by: int, token_hash: str, expires_at: dt.datetime
    ) -> None:
        await self._ex.execute(
            "INSERT INTO invites (shop_id, created_by, token_hash, expires_at) VALUES (?, ?, ?, ?)",
            (shop_id, created_by, token_hash, timestamp(expires_at)),
        )

    async def find(self, token_hash: str) -> Invite | None:
        row = await self._ex.fetch_one(
            "SELECT shop_id, expires_at, used_by FROM invites WHERE token_hash = ?", (token_hash,)
        )
        return Invite.model_validate(dict(row)) if row else None

    async def unused(self, shop_id: int, now: dt.datetime) -> list[Invite]:
        rows = await self._ex.fetch_all(
            "SELECT shop_id, expires_at, used_by FROM invites WHERE shop_id = ? AND used_by IS NULL "
            "AND expires_at > ? ORDER BY expires_at",
            (shop_id, timestamp(now)),
        )
        return [Invite.model_validate(dict(r)) for r in rows]

    async def revoke_unused(self, shop_id: int) -> int:
        return await self._ex.execute("DELETE FROM invites WHERE shop_id = ? AND used_by IS NULL", (shop_id,))

    async def delete_expired(self, now: dt.datetime) -> int:
        return await self._ex.execute("DELETE FROM invites WHERE expires_at <= ?", (timestamp(now),))

    async def mark_used(self, token_hash: str, user_id: int, now: dt.datetime) -> bool:
        """Use the invite; False if someone else used it first."""
        changed = await self._ex.execute(
            "UPDATE invites SET used_by = ?, used_at = ? WHERE token_hash = ? AND used_by IS NULL",
            (user_id, timestamp(now), token_hash),
        )
        return changed > 0
