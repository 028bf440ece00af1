"""The `shops` table: connected campaigns, each with its API key encrypted."""

from __future__ import annotations

import sqlite3

from bot.domain.records import CourierDates, Shop
from storage.db import Executor
from storage.secrets import SecretBox, SecretDecryptError

COLUMNS = (
    "id, campaign_id, domain, business_id, business_name, placement_type, owner_id, notify_owner, "
    "courier_dates, couriers_write"
)
NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


def shop_of(row: sqlite3.Row) -> Shop:
    return Shop.model_validate({k: row[k] for k in row.keys() if k != "role"})  # noqa: SIM118 - sqlite3.Row


class ShopsRepo:
    def __init__(self, ex: Executor, box: SecretBox) -> None:
        self._ex = ex
        self._box = box

    async def upsert(
        self,
        *,
        campaign_id: int,
        owner_id: int,
        api_key: str,
        domain: str | None = None,
        business_id: int | None = None,
        business_name: str | None = None,
        placement_type: str | None = None,
    ) -> Shop:
        """Save a campaign with its key; connecting one already here replaces its key, details and owner."""
        await self._ex.execute(
            "INSERT INTO shops (campaign_id, domain, business_id, business_name, placement_type,"
            " api_key_enc, owner_id) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(campaign_id) DO UPDATE SET domain = excluded.domain, "
            "business_id = excluded.business_id, business_name = excluded.business_name, "
            "placement_type = excluded.placement_type, api_key_enc = excluded.api_key_enc, "
            f"owner_id = excluded.owner_id, updated_at = {NOW}",
            (
                campaign_id,
                domain,
                business_id,
                business_name,
                placement_type,
                self._box.encrypt(api_key),
                owner_id,
            ),
        )
        row = await self._ex.fetch_one(f"SELECT {COLUMNS} FROM shops WHERE campaign_id = ?", (campaign_id,))
        if row is None:
            raise RuntimeError(f"campaign {campaign_id} vanished while being connected")
        return shop_of(row)

    async def get(self, shop_id: int) -> Shop | None:
        row = await self._ex.fetch_one(f"SELECT {COLUMNS} FROM shops WHERE id = ?", (shop_id,))
        return shop_of(row) if row else None

    async def every(self) -> list[Shop]:
        rows = await self._ex.fetch_all(f"SELECT {COLUMNS} FROM shops ORDER BY id")
        return [shop_of(r) for r in rows]

    async def by_campaign(self, campaign_id: int) -> Shop | None:
        row = await self._ex.fetch_one(f"SELECT {COLUMNS} FROM shops WHERE campaign_id = ?", (campaign_id,))
        return shop_of(row) if row else None

    async def api_key(self, shop_id: int) -> str | None:
        """The shop's API key in clear, for the Market client only. Never store or log it."""
        row = await self._ex.fetch_one("SELECT api_key_enc FROM shops WHERE id = ?", (shop_id,))
        return self._box.decrypt(row["api_key_enc"]) if row else None

    async def readable_key(self, shop_id: int) -> str | None:
        """The shop's API key, or None when there is none or this SECRET_KEY cannot read it (such a
        shop is reported at start; the background's work skips it)."""
        try:
            return await self.api_key(shop_id)
        except SecretDecryptError:
            return None

    async def with_keys(self) -> list[tuple[Shop, str]]:
        """Every shop whose key can be read, with the key (for the background's polls)."""
        keyed = [(shop, await self.readable_key(shop.id)) for shop in await self.every()]
        return [(shop, key) for shop, key in keyed if key]

    async def unreadable_keys(self) -> list[int]:
        """Shops whose stored key this SECRET_KEY cannot decrypt."""
        unreadable = []
        for row in await self._ex.fetch_all("SELECT id, api_key_enc FROM shops ORDER BY id"):
            try:
                self._box.decrypt(row["api_key_enc"])
            except SecretDecryptError:
                unreadable.append(int(row["id"]))
        return unreadable

    async def reencrypt_all(self) -> int:
        """Encrypt every stored key with the first SECRET_KEY (after adding a new one in front)."""
        rows = await self._ex.fetch_all("SELECT id, api_key_enc FROM shops ORDER BY id")
        for row in rows:
            await self._ex.execute(
                "UPDATE shops SET api_key_enc = ? WHERE id = ?",
                (self._box.rotate(row["api_key_enc"]), row["id"]),
            )
        return len(rows)

    async def delete_by_campaign(self, campaign_id: int) -> Shop | None:
        shop = await self.by_campaign(campaign_id)
        if shop is not None:
            await self.delete(shop.id)
        return shop

    async def set_business_id(self, shop_id: int, business_id: int) -> None:
        await self._ex.execute("UPDATE shops SET business_id = ? WHERE id = ?", (business_id, shop_id))

    async def set_owner(self, shop_id: int, owner_id: int) -> None:
        await self._ex.execute(
            f"UPDATE shops SET owner_id = ?, updated_at = {NOW} WHERE id = ?", (owner_id, shop_id)
        )

    async def set_courier_dates(self, shop_id: int, value: CourierDates) -> None:
        await self._ex.execute("UPDATE shops SET courier_dates = ? WHERE id = ?", (value.value, shop_id))

    async def set_notify_owner(self, shop_id: int, enabled: bool) -> None:
        await self._ex.execute("UPDATE shops SET notify_owner = ? WHERE id = ?", (int(enabled), shop_id))

    async def set_couriers_write(self, shop_id: int, allowed: bool) -> None:
        await self._ex.execute("UPDATE shops SET couriers_write = ? WHERE id = ?", (int(allowed), shop_id))

    async def delete(self, shop_id: int) -> bool:
        """Forget a shop: its memberships, invites and operations go with it (ON DELETE CASCADE)."""
        return await self._ex.execute("DELETE FROM shops WHERE id = ?", (shop_id,)) > 0
