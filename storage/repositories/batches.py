"""The `batches` table: bulk sends, whose lines are rows of `operations`."""

from __future__ import annotations

from typing import Any

from bot.domain.records import Batch, BatchSummary
from storage.db import Executor

COLUMNS = "id, user_id, shop_id, size, message_id, reported, created_at"
COUNTS = (
    "SELECT sum(status = 'done') AS done, sum(status = 'failed') AS failed, "
    "sum(status = 'pending' AND attempts > 0) AS retrying, "
    "sum(status IN ('pending', 'sending')) AS waiting FROM operations WHERE batch_id = ?"
)


class BatchesRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    async def create(self, *, user_id: int, shop_id: int, idempotency_key: str, size: int) -> Batch:
        batch_id = await self._ex.execute(
            "INSERT INTO batches (user_id, shop_id, idempotency_key, size) VALUES (?, ?, ?, ?)",
            (user_id, shop_id, idempotency_key, size),
        )
        created = await self.get(batch_id)
        if created is None:
            raise RuntimeError(f"batch {batch_id} vanished right after it was recorded")
        return created

    async def get(self, batch_id: int) -> Batch | None:
        row = await self._ex.fetch_one(f"SELECT {COLUMNS} FROM batches WHERE id = ?", (batch_id,))
        return Batch.model_validate(dict(row)) if row else None

    async def by_idempotency_key(self, key: str) -> Batch | None:
        row = await self._ex.fetch_one(f"SELECT {COLUMNS} FROM batches WHERE idempotency_key = ?", (key,))
        return Batch.model_validate(dict(row)) if row else None

    async def set_message(self, batch_id: int, message_id: int) -> None:
        await self._ex.execute("UPDATE batches SET message_id = ? WHERE id = ?", (message_id, batch_id))

    async def mark_reported(self, batch_id: int) -> None:
        await self._ex.execute("UPDATE batches SET reported = 1 WHERE id = ?", (batch_id,))

    async def summary(self, batch: Batch) -> BatchSummary:
        row = await self._ex.fetch_one(COUNTS, (batch.id,))
        counts = {k: int(row[k] or 0) for k in ("done", "failed", "retrying", "waiting")} if row else {}
        return BatchSummary(batch=batch, **counts)

    async def finished_unreported(self, limit: int = 20) -> list[Batch]:
        """Batches whose every line has ended but whose report was not delivered yet."""
        rows = await self._ex.fetch_all(
            f"SELECT {COLUMNS} FROM batches b WHERE reported = 0 AND NOT EXISTS ("
            "SELECT 1 FROM operations o WHERE o.batch_id = b.id AND o.status IN ('pending', 'sending')"
            ") ORDER BY id LIMIT ?",
            (limit,),
        )
        return [Batch.model_validate(dict(r)) for r in rows]

    async def any_unreported(self) -> bool:
        return await self._ex.fetch_one("SELECT 1 FROM batches WHERE reported = 0 LIMIT 1") is not None

    async def recent(
        self, shop_id: int, *, user_id: int | None = None, limit: int = 20
    ) -> list[BatchSummary]:
        sql = f"SELECT {COLUMNS} FROM batches WHERE shop_id = ?"
        params: list[Any] = [shop_id]
        if user_id is not None:
            sql += " AND user_id = ?"
            params.append(user_id)
        rows = await self._ex.fetch_all(sql + " ORDER BY created_at DESC, id DESC LIMIT ?", [*params, limit])
        return [await self.summary(Batch.model_validate(dict(r))) for r in rows]

    async def delete_empty(self) -> int:
        """Batches whose lines were all archived by housekeeping."""
        return await self._ex.execute(
            "DELETE FROM batches WHERE NOT EXISTS (SELECT 1 FROM operations o WHERE o.batch_id = batches.id)"
        )
