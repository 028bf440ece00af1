"""The `operations` table: every confirmed change, recorded before the Market is called."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from bot.domain.operations import AnyAction, ChatReply, action_from
from bot.domain.records import Operation, OperationStatus
from storage.db import Executor, timestamp

CHAT_KIND = ChatReply.model_fields["kind"].default
SENT_TEXT = "…"  # what a sent chat message keeps of its text
COLUMNS = (
    "id, user_id, shop_id, order_id, kind, payload, status, attempts, last_error, "
    "idempotency_key, next_attempt_at, created_at, updated_at, batch_id"
)


def operation_of(row: sqlite3.Row) -> Operation:
    values = dict(row)
    values["action"] = action_from(values.pop("kind"), json.loads(values.pop("payload")))
    return Operation.model_validate(values)


class OperationsRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    async def create(
        self,
        *,
        user_id: int,
        shop_id: int,
        order_id: int,
        action: AnyAction,
        idempotency_key: str | None = None,
        now: dt.datetime,
        batch_id: int | None = None,
    ) -> Operation:
        """Record a confirmed operation, due at once; a batch's line is left to its batch runner (not
        due for the retry worker until the runner reschedules it, or a restart finds it waiting)."""
        op_id = await self._ex.execute(
            "INSERT INTO operations (user_id, shop_id, order_id, kind, payload, "
            "idempotency_key, next_attempt_at, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                user_id,
                shop_id,
                order_id,
                action.kind,
                json.dumps(action.payload(), ensure_ascii=False, sort_keys=True),
                idempotency_key,
                None if batch_id is not None else timestamp(now),
                batch_id,
            ),
        )
        created = await self.get(op_id)
        if created is None:
            raise RuntimeError(f"operation {op_id} vanished right after it was recorded")
        return created

    async def get(self, op_id: int) -> Operation | None:
        row = await self._ex.fetch_one(f"SELECT {COLUMNS} FROM operations WHERE id = ?", (op_id,))
        return operation_of(row) if row else None

    async def by_idempotency_key(self, idempotency_key: str) -> Operation | None:
        row = await self._ex.fetch_one(
            f"SELECT {COLUMNS} FROM operations WHERE idempotency_key = ?",
            (idempotency_key,),
        )
        return operation_of(row) if row else None

    async def claim(self, op_id: int, now: dt.datetime) -> bool:
        """Move a pending operation to `sending` (counting the attempt); False if someone else did."""
        changed = await self._ex.execute(
            "UPDATE operations SET status = 'sending', attempts = attempts + 1, "
            "updated_at = ? WHERE id = ? AND status = 'pending'",
            (timestamp(now), op_id),
        )
        return changed > 0

    async def finish(self, op_id: int, status: OperationStatus, error: str | None, now: dt.datetime) -> None:
        if status not in (OperationStatus.DONE, OperationStatus.FAILED):
            raise ValueError("finish() takes DONE or FAILED")
        # A message to a buyer's chat is kept only until it is sent: its text may quote the buyer.
        await self._ex.execute(
            "UPDATE operations SET status = ?, last_error = ?, next_attempt_at = NULL, "
            "result_owed = 1, updated_at = ?, "
            "payload = CASE WHEN kind = ? THEN json_set(payload, '$.message', ?) ELSE payload END "
            "WHERE id = ?",
            (status.value, error, timestamp(now), CHAT_KIND, SENT_TEXT, op_id),
        )

    async def mark_told(self, op_id: int) -> None:
        """The user has been told the result (or cannot be: they blocked the bot)."""
        await self._ex.execute("UPDATE operations SET result_owed = 0 WHERE id = ?", (op_id,))

    async def results_owed(self, finished_before: dt.datetime, limit: int = 50) -> list[Operation]:
        """Finished operations whose result nobody has told their user yet (a batch's lines are told
        in their batch's report)."""
        rows = await self._ex.fetch_all(
            f"SELECT {COLUMNS} FROM operations WHERE result_owed = 1 AND batch_id IS NULL "
            "AND updated_at <= ? ORDER BY id LIMIT ?",
            (timestamp(finished_before), limit),
        )
        return [operation_of(r) for r in rows]

    async def reschedule(
        self, op_id: int, error: str, next_attempt_at: dt.datetime, now: dt.datetime
    ) -> None:
        """Back to `pending`, to be tried again at `next_attempt_at`."""
        await self._ex.execute(
            "UPDATE operations SET status = 'pending', last_error = ?, next_attempt_at = ?, "
            "updated_at = ? WHERE id = ?",
            (error, timestamp(next_attempt_at), timestamp(now), op_id),
        )

    async def recover_interrupted(self, now: dt.datetime) -> int:
        """Operations left `sending` by a stopped process go back to `pending`, due now, and so do
        batch lines its runner never reached.

        Their next attempt reads the order back first, so a request that did land is not repeated.
        """
        return await self._ex.execute(
            "UPDATE operations SET status = 'pending', next_attempt_at = ?, updated_at = ? "
            "WHERE status = 'sending' OR (status = 'pending' AND next_attempt_at IS NULL)",
            (timestamp(now), timestamp(now)),
        )

    async def cancel_queued(
        self, shop_id: int, user_id: int, error: str, now: dt.datetime
    ) -> list[Operation]:
        """Fail one user's operations still waiting in a shop (not those being sent right now)."""
        rows = await self._ex.fetch_all(
            f"SELECT {COLUMNS} FROM operations WHERE shop_id = ? AND user_id = ? AND status = 'pending' "
            "ORDER BY id",
            (shop_id, user_id),
        )
        await self._ex.execute(
            "UPDATE operations SET status = 'failed', last_error = ?, next_attempt_at = NULL, "
            "updated_at = ? WHERE shop_id = ? AND user_id = ? AND status = 'pending'",
            (error, timestamp(now), shop_id, user_id),
        )
        return [operation_of(r) for r in rows]

    async def queued_for_order(self, shop_id: int, order_id: int) -> list[Operation]:
        """An order's operations still waiting to be sent (not those being sent right now)."""
        rows = await self._ex.fetch_all(
            f"SELECT {COLUMNS} FROM operations WHERE shop_id = ? AND order_id = ? AND status = 'pending' "
            "ORDER BY id",
            (shop_id, order_id),
        )
        return [operation_of(r) for r in rows]

    async def stop(self, op_id: int, status: OperationStatus, error: str | None, now: dt.datetime) -> bool:
        """End a waiting operation without sending it; False when it is no longer waiting (a worker took
        it meanwhile: its attempt ends it)."""
        changed = await self._ex.execute(
            "UPDATE operations SET status = ?, last_error = ?, next_attempt_at = NULL, "
            "result_owed = 1, updated_at = ? WHERE id = ? AND status = 'pending'",
            (status.value, error, timestamp(now), op_id),
        )
        return changed == 1

    async def unfinished(self, shop_id: int) -> list[Operation]:
        rows = await self._ex.fetch_all(
            f"SELECT {COLUMNS} FROM operations WHERE shop_id = ? "
            "AND status IN ('pending', 'sending') ORDER BY id",
            (shop_id,),
        )
        return [operation_of(r) for r in rows]

    async def on_the_way(
        self, shop_id: int, order_ids: list[int], kind: str, since: dt.datetime | None = None
    ) -> list[Operation]:
        """Operations of one kind for some orders of a shop that are still to be sent (pending or being
        sent) or, given `since`, were recorded since then and went through."""
        if not order_ids:
            return []
        marks = ",".join("?" * len(order_ids))
        done_since = "OR (status = 'done' AND created_at >= ?)" if since is not None else ""
        rows = await self._ex.fetch_all(
            f"SELECT {COLUMNS} FROM operations WHERE shop_id = ? AND kind = ? AND order_id IN ({marks}) "
            f"AND (status IN ('pending', 'sending') {done_since}) ORDER BY id",
            (shop_id, kind, *order_ids, *([timestamp(since)] if since is not None else [])),
        )
        return [operation_of(r) for r in rows]

    async def last_courier(self, shop_id: int, order_id: int) -> int | None:
        """The courier of this shop who last acted on the order (sent its track code, a status...)."""
        row = await self._ex.fetch_one(
            "SELECT o.user_id FROM operations o JOIN memberships m ON m.user_id = o.user_id "
            "AND m.shop_id = o.shop_id WHERE o.shop_id = ? AND o.order_id = ? AND m.role = 'courier' "
            "ORDER BY o.id DESC LIMIT 1",
            (shop_id, order_id),
        )
        return int(row["user_id"]) if row else None

    async def due(self, now: dt.datetime, limit: int = 50) -> list[Operation]:
        rows = await self._ex.fetch_all(
            f"SELECT {COLUMNS} FROM operations WHERE status = 'pending' "
            "AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
            (timestamp(now), limit),
        )
        return [operation_of(r) for r in rows]

    async def archive_finished_before(self, moment: dt.datetime) -> int:
        """Delete finished operations older than `moment` whose result was told, adding them to the
        kept counts first. Returns how many went."""
        when = timestamp(moment)
        await self._ex.execute(
            "INSERT INTO operation_counts (shop_id, kind, status, count) "
            "SELECT shop_id, kind, status, count(*) FROM operations "
            "WHERE status IN ('done', 'failed') AND result_owed = 0 AND updated_at < ? "
            "GROUP BY shop_id, kind, status "
            "ON CONFLICT(shop_id, kind, status) DO UPDATE SET count = count + excluded.count",
            (when,),
        )
        return await self._ex.execute(
            "DELETE FROM operations WHERE status IN ('done', 'failed') AND result_owed = 0 "
            "AND updated_at < ?",
            (when,),
        )

    async def history(self, shop_id: int, *, user_id: int | None = None, limit: int = 20) -> list[Operation]:
        """The newest operations in a shop, of one user or of everyone (batches are listed apart)."""
        sql = f"SELECT {COLUMNS} FROM operations WHERE shop_id = ? AND batch_id IS NULL"
        params: list[Any] = [shop_id]
        if user_id is not None:
            sql += " AND user_id = ?"
            params.append(user_id)
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        params.append(limit)
        return [operation_of(r) for r in await self._ex.fetch_all(sql, params)]

    async def of_batch(self, batch_id: int, *, waiting_only: bool = False) -> list[Operation]:
        """A batch's lines in their order; `waiting_only`: those its runner has yet to send."""
        sql = f"SELECT {COLUMNS} FROM operations WHERE batch_id = ?"
        if waiting_only:
            sql += " AND status = 'pending' AND next_attempt_at IS NULL"
        return [operation_of(r) for r in await self._ex.fetch_all(sql + " ORDER BY id", (batch_id,))]

    async def mark_batch_told(self, batch_id: int) -> None:
        await self._ex.execute("UPDATE operations SET result_owed = 0 WHERE batch_id = ?", (batch_id,))

    async def release_batch(self, batch_id: int, now: dt.datetime) -> int:
        """A batch's lines its runner did not reach become due for the retry worker."""
        return await self._ex.execute(
            "UPDATE operations SET next_attempt_at = ? WHERE batch_id = ? AND status = 'pending' "
            "AND next_attempt_at IS NULL",
            (timestamp(now), batch_id),
        )

    async def counts(self) -> dict[str, int]:
        """How many operations are in each status (for the metrics)."""
        rows = await self._ex.fetch_all("SELECT status, count(*) AS n FROM operations GROUP BY status")
        return {str(r["status"]): int(r["n"]) for r in rows}
