"""Repositories: the only code with SQL (always parameterised). Each returns models, never rows."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from storage.db import Database
from storage.models import (
    DeliveryServiceRef,
    Member,
    Membership,
    Operation,
    OperationKind,
    OperationStatus,
    RedeemResult,
    Role,
    Shop,
    ShopMembership,
    User,
)
from storage.secrets import SecretBox


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _ts(moment: dt.datetime) -> str:
    """Timestamps are stored as sortable ISO-8601 UTC text, like the schema's defaults."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


_SHOP_COLUMNS = "id, campaign_id, domain, business_id, business_name, placement_type, owner_id, notify_owner"


def _shop(row: sqlite3.Row) -> Shop:
    return Shop.model_validate(dict(row))


class UsersRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def upsert(self, user_id: int, language: str, name: str | None = None) -> User:
        await self._db.execute(
            "INSERT INTO users (id, language, name) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "language = excluded.language, name = coalesce(excluded.name, users.name), "
            "updated_at = excluded.updated_at "
            "WHERE users.language != excluded.language OR users.name IS NOT excluded.name",
            (user_id, language, name),
        )
        return User(id=user_id, language=language, name=name)

    async def get(self, user_id: int) -> User | None:
        row = await self._db.fetch_one("SELECT id, language, name FROM users WHERE id = ?", (user_id,))
        return User.model_validate(dict(row)) if row else None

    async def names(self, user_ids: Iterable[int]) -> dict[int, str]:
        ids = sorted(set(user_ids))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self._db.fetch_all(f"SELECT id, name FROM users WHERE id IN ({marks})", ids)
        return {int(r["id"]): r["name"] or f"id {r['id']}" for r in rows}


class ShopsRepo:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self._db = db
        self._box = box

    async def connect(
        self,
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

        Connecting a campaign that is already here again replaces its key and details.
        """
        encrypted = self._box.encrypt(api_key)
        async with self._db.transaction() as tx:
            await tx.execute("INSERT OR IGNORE INTO users (id) VALUES (?)", (owner_id,))
            await tx.execute(
                "INSERT INTO shops (campaign_id, domain, business_id, business_name, placement_type,"
                " api_key_enc, owner_id) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(campaign_id) DO UPDATE SET domain = excluded.domain, "
                "business_id = excluded.business_id, business_name = excluded.business_name, "
                "placement_type = excluded.placement_type, api_key_enc = excluded.api_key_enc, "
                "owner_id = excluded.owner_id, "
                "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                (
                    campaign_id,
                    domain,
                    business_id,
                    business_name,
                    placement_type,
                    encrypted,
                    owner_id,
                ),
            )
            row = await tx.fetch_one(
                f"SELECT {_SHOP_COLUMNS} FROM shops WHERE campaign_id = ?", (campaign_id,)
            )
            if row is None:
                raise RuntimeError(f"campaign {campaign_id} vanished while being connected")
            shop = _shop(row)
            # A previous owner (if any) keeps no special rights over the shop.
            await tx.execute(
                "UPDATE memberships SET role = 'courier' WHERE shop_id = ? AND role = 'owner' "
                "AND user_id != ?",
                (shop.id, owner_id),
            )
            await tx.execute(
                "INSERT INTO memberships (user_id, shop_id, role) VALUES (?, ?, 'owner') "
                "ON CONFLICT(user_id, shop_id) DO UPDATE SET role = 'owner'",
                (owner_id, shop.id),
            )
            await tx.execute(
                "INSERT INTO user_settings (user_id, active_shop_id) VALUES (?, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET active_shop_id = excluded.active_shop_id",
                (owner_id, shop.id),
            )
        return shop

    async def get(self, shop_id: int) -> Shop | None:
        row = await self._db.fetch_one(f"SELECT {_SHOP_COLUMNS} FROM shops WHERE id = ?", (shop_id,))
        return _shop(row) if row else None

    async def get_by_campaign(self, campaign_id: int) -> Shop | None:
        row = await self._db.fetch_one(
            f"SELECT {_SHOP_COLUMNS} FROM shops WHERE campaign_id = ?", (campaign_id,)
        )
        return _shop(row) if row else None

    async def api_key(self, shop_id: int) -> str | None:
        """The shop's API key in clear, for the Market client only. Never store or log it."""
        row = await self._db.fetch_one("SELECT api_key_enc FROM shops WHERE id = ?", (shop_id,))
        return self._box.decrypt(row["api_key_enc"]) if row else None

    async def replace_api_key(self, shop_id: int, api_key: str) -> bool:
        changed = await self._db.execute(
            "UPDATE shops SET api_key_enc = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
            "WHERE id = ?",
            (self._box.encrypt(api_key), shop_id),
        )
        return changed > 0

    async def set_notify_owner(self, shop_id: int, enabled: bool) -> None:
        await self._db.execute("UPDATE shops SET notify_owner = ? WHERE id = ?", (int(enabled), shop_id))

    async def delete(self, shop_id: int) -> bool:
        """Disconnect a shop: its memberships and operations go with it."""
        return await self._db.execute("DELETE FROM shops WHERE id = ?", (shop_id,)) > 0


class MembershipsRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, user_id: int, shop_id: int, role: Role) -> Membership:
        async with self._db.transaction() as tx:
            await tx.execute("INSERT OR IGNORE INTO users (id) VALUES (?)", (user_id,))
            await tx.execute(
                "INSERT INTO memberships (user_id, shop_id, role) VALUES (?, ?, ?) "
                "ON CONFLICT(user_id, shop_id) DO UPDATE SET role = excluded.role",
                (user_id, shop_id, role.value),
            )
        return Membership(user_id=user_id, shop_id=shop_id, role=role)

    async def remove(self, user_id: int, shop_id: int) -> bool:
        removed = await self._db.execute(
            "DELETE FROM memberships WHERE user_id = ? AND shop_id = ?", (user_id, shop_id)
        )
        return removed > 0

    async def get(self, user_id: int, shop_id: int) -> Membership | None:
        row = await self._db.fetch_one(
            "SELECT user_id, shop_id, role FROM memberships WHERE user_id = ? AND shop_id = ?",
            (user_id, shop_id),
        )
        return Membership.model_validate(dict(row)) if row else None

    async def shops_of(self, user_id: int) -> list[ShopMembership]:
        rows = await self._db.fetch_all(
            "SELECT s.id, s.campaign_id, s.domain, s.business_id, s.business_name, "
            "s.placement_type, s.owner_id, s.notify_owner, m.role FROM memberships m "
            "JOIN shops s ON s.id = m.shop_id WHERE m.user_id = ? ORDER BY m.created_at, s.id",
            (user_id,),
        )
        return [_shop_membership(r) for r in rows]

    async def team(self, shop_id: int) -> list[Member]:
        """Everyone in a shop, owner first, with their names."""
        rows = await self._db.fetch_all(
            "SELECT m.user_id, m.role, u.name FROM memberships m JOIN users u ON u.id = m.user_id "
            "WHERE m.shop_id = ? ORDER BY m.role = 'courier', m.created_at, m.user_id",
            (shop_id,),
        )
        return [Member.model_validate(dict(r)) for r in rows]

    async def members_of(self, shop_id: int) -> list[Membership]:
        rows = await self._db.fetch_all(
            "SELECT user_id, shop_id, role FROM memberships WHERE shop_id = ? "
            "ORDER BY role = 'courier', created_at",
            (shop_id,),
        )
        return [Membership.model_validate(dict(r)) for r in rows]


def _shop_membership(row: sqlite3.Row) -> ShopMembership:
    values = dict(row)
    role = values.pop("role")
    return ShopMembership(shop=Shop.model_validate(values), role=role)


class SettingsRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def active_shop(self, user_id: int) -> ShopMembership | None:
        """The user's active shop, only while the user is still a member of it."""
        row = await self._db.fetch_one(
            "SELECT s.id, s.campaign_id, s.domain, s.business_id, s.business_name, "
            "s.placement_type, s.owner_id, s.notify_owner, m.role FROM user_settings us "
            "JOIN shops s ON s.id = us.active_shop_id "
            "JOIN memberships m ON m.shop_id = s.id AND m.user_id = us.user_id "
            "WHERE us.user_id = ?",
            (user_id,),
        )
        return _shop_membership(row) if row else None

    async def set_active_shop(self, user_id: int, shop_id: int | None) -> None:
        async with self._db.transaction() as tx:
            await tx.execute("INSERT OR IGNORE INTO users (id) VALUES (?)", (user_id,))
            await tx.execute(
                "INSERT INTO user_settings (user_id, active_shop_id) VALUES (?, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET active_shop_id = excluded.active_shop_id",
                (user_id, shop_id),
            )

    async def recent_services(self, user_id: int, limit: int = 5) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT service_id FROM recent_delivery_services WHERE user_id = ? "
            "ORDER BY used_seq DESC LIMIT ?",
            (user_id, limit),
        )
        return [int(r["service_id"]) for r in rows]

    async def remember_service(self, user_id: int, service_id: int) -> None:
        async with self._db.transaction() as tx:
            await tx.execute("INSERT OR IGNORE INTO users (id) VALUES (?)", (user_id,))
            await tx.execute(
                "INSERT INTO recent_delivery_services (user_id, service_id, used_seq) "
                "VALUES (?1, ?2, (SELECT coalesce(max(used_seq), 0) + 1 "
                "FROM recent_delivery_services WHERE user_id = ?1)) "
                "ON CONFLICT(user_id, service_id) DO UPDATE SET used_seq = excluded.used_seq",
                (user_id, service_id),
            )


_OPERATION_COLUMNS = (
    "id, user_id, shop_id, order_id, kind, payload, status, attempts, last_error, "
    "idempotency_key, next_attempt_at, created_at, updated_at"
)


def _operation(row: sqlite3.Row) -> Operation:
    values = dict(row)
    values["payload"] = json.loads(values["payload"])
    return Operation.model_validate(values)


class OperationsRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        user_id: int,
        shop_id: int,
        order_id: int,
        kind: OperationKind,
        payload: dict[str, Any],
        idempotency_key: str | None = None,
    ) -> tuple[Operation, bool]:
        """Record a confirmed operation before anything is sent.

        With an idempotency key already used, returns the existing operation and False.
        """
        async with self._db.transaction() as tx:
            if idempotency_key is not None:
                existing = await tx.fetch_one(
                    f"SELECT {_OPERATION_COLUMNS} FROM operations WHERE idempotency_key = ?",
                    (idempotency_key,),
                )
                if existing is not None:
                    return _operation(existing), False
            await tx.execute("INSERT OR IGNORE INTO users (id) VALUES (?)", (user_id,))
            op_id = await tx.execute(
                "INSERT INTO operations (user_id, shop_id, order_id, kind, payload, "
                "idempotency_key, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    user_id,
                    shop_id,
                    order_id,
                    kind.value,
                    json.dumps(payload, ensure_ascii=False, sort_keys=True),
                    idempotency_key,
                    _ts(utcnow()),
                ),
            )
            row = await tx.fetch_one(f"SELECT {_OPERATION_COLUMNS} FROM operations WHERE id = ?", (op_id,))
        if row is None:
            raise RuntimeError(f"operation {op_id} vanished right after it was recorded")
        return _operation(row), True

    async def get(self, op_id: int) -> Operation | None:
        row = await self._db.fetch_one(f"SELECT {_OPERATION_COLUMNS} FROM operations WHERE id = ?", (op_id,))
        return _operation(row) if row else None

    async def by_idempotency_key(self, idempotency_key: str) -> Operation | None:
        row = await self._db.fetch_one(
            f"SELECT {_OPERATION_COLUMNS} FROM operations WHERE idempotency_key = ?", (idempotency_key,)
        )
        return _operation(row) if row else None

    async def claim(self, op_id: int) -> bool:
        """Move a pending operation to `sending` (counting the attempt); False if someone else did."""
        changed = await self._db.execute(
            "UPDATE operations SET status = 'sending', attempts = attempts + 1, "
            "updated_at = ? WHERE id = ? AND status = 'pending'",
            (_ts(utcnow()), op_id),
        )
        return changed > 0

    async def finish(self, op_id: int, status: OperationStatus, error: str | None = None) -> None:
        if status not in (OperationStatus.DONE, OperationStatus.FAILED):
            raise ValueError("finish() takes DONE or FAILED")
        await self._db.execute(
            "UPDATE operations SET status = ?, last_error = ?, next_attempt_at = NULL, "
            "updated_at = ? WHERE id = ?",
            (status.value, error, _ts(utcnow()), op_id),
        )

    async def reschedule(self, op_id: int, error: str, next_attempt_at: dt.datetime) -> None:
        """Back to `pending`, to be tried again at `next_attempt_at`."""
        await self._db.execute(
            "UPDATE operations SET status = 'pending', last_error = ?, next_attempt_at = ?, "
            "updated_at = ? WHERE id = ?",
            (error, _ts(next_attempt_at), _ts(utcnow()), op_id),
        )

    async def recover_interrupted(self, now: dt.datetime) -> int:
        """Operations left `sending` by a stopped process go back to `pending`, due now.

        Their next attempt reads the order back first, so a request that did land is not repeated.
        """
        return await self._db.execute(
            "UPDATE operations SET status = 'pending', next_attempt_at = ?, updated_at = ? "
            "WHERE status = 'sending'",
            (_ts(now), _ts(now)),
        )

    async def unfinished(self, shop_id: int) -> list[Operation]:
        rows = await self._db.fetch_all(
            f"SELECT {_OPERATION_COLUMNS} FROM operations WHERE shop_id = ? "
            "AND status IN ('pending', 'sending') ORDER BY id",
            (shop_id,),
        )
        return [_operation(r) for r in rows]

    async def due(self, now: dt.datetime, limit: int = 50) -> list[Operation]:
        rows = await self._db.fetch_all(
            f"SELECT {_OPERATION_COLUMNS} FROM operations WHERE status = 'pending' "
            "AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
            (_ts(now), limit),
        )
        return [_operation(r) for r in rows]

    async def history(self, shop_id: int, *, user_id: int | None = None, limit: int = 20) -> list[Operation]:
        """The newest operations in a shop, of one user or of everyone."""
        sql = f"SELECT {_OPERATION_COLUMNS} FROM operations WHERE shop_id = ?"
        params: list[Any] = [shop_id]
        if user_id is not None:
            sql += " AND user_id = ?"
            params.append(user_id)
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        params.append(limit)
        return [_operation(r) for r in await self._db.fetch_all(sql, params)]


class InvitesRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self, *, shop_id: int, created_by: int, token_hash: str, expires_at: dt.datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO invites (shop_id, created_by, token_hash, expires_at) VALUES (?, ?, ?, ?)",
            (shop_id, created_by, token_hash, _ts(expires_at)),
        )

    async def redeem(
        self, token_hash: str, user_id: int, now: dt.datetime
    ) -> tuple[RedeemResult, int | None]:
        """Use an invite: the user joins its shop as a courier and makes it their active shop.

        All in one transaction, so an invite is used once even if two people try at the same moment.
        Returns the result and the shop id (when the invite was found).
        """
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT shop_id, expires_at, used_by FROM invites WHERE token_hash = ?", (token_hash,)
            )
            if row is None:
                return RedeemResult.UNKNOWN, None
            shop_id = int(row["shop_id"])
            if row["used_by"] is not None:
                return RedeemResult.USED, shop_id
            if row["expires_at"] <= _ts(now):
                return RedeemResult.EXPIRED, shop_id
            member = await tx.fetch_one(
                "SELECT role FROM memberships WHERE user_id = ? AND shop_id = ?", (user_id, shop_id)
            )
            if member is not None:
                return RedeemResult.ALREADY_MEMBER, shop_id
            await tx.execute(
                "UPDATE invites SET used_by = ?, used_at = ? WHERE token_hash = ?",
                (user_id, _ts(now), token_hash),
            )
            await tx.execute("INSERT OR IGNORE INTO users (id) VALUES (?)", (user_id,))
            await tx.execute(
                "INSERT INTO memberships (user_id, shop_id, role) VALUES (?, ?, 'courier')",
                (user_id, shop_id),
            )
            await tx.execute(
                "INSERT INTO user_settings (user_id, active_shop_id) VALUES (?, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET active_shop_id = excluded.active_shop_id",
                (user_id, shop_id),
            )
        return RedeemResult.JOINED, shop_id


class DeliveryServicesRepo:
    _FETCHED_AT = "delivery_services.fetched_at"

    def __init__(self, db: Database) -> None:
        self._db = db

    async def replace_all(self, services: Iterable[DeliveryServiceRef], fetched_at: dt.datetime) -> None:
        rows = [(s.id, s.name) for s in services]
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM delivery_services")
            await tx.executemany("INSERT INTO delivery_services (id, name) VALUES (?, ?)", rows)
            await tx.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (self._FETCHED_AT, _ts(fetched_at)),
            )

    async def all(self) -> list[DeliveryServiceRef]:
        rows = await self._db.fetch_all("SELECT id, name FROM delivery_services ORDER BY name, id")
        return [DeliveryServiceRef.model_validate(dict(r)) for r in rows]

    async def fetched_at(self) -> dt.datetime | None:
        row = await self._db.fetch_one("SELECT value FROM meta WHERE key = ?", (self._FETCHED_AT,))
        return dt.datetime.fromisoformat(row["value"]) if row else None
