"""The inbox of the Market's push notifications: each is written here before the Market gets its 200,
so that one answered is never lost (a crash, a restart), and worked on afterwards by a worker that takes
`due()` and `finish()`es each. The same notification sent twice is kept once. A cap on what waits keeps a
flood from growing the database without bound: past it the Market gets 500 and sends again later.

Notifications arriving together are written in one transaction (one disk sync for the lot): a burst
of a thousand is written in about a second instead of several.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Literal

from bot.domain.notifications import MarketEvent
from storage.db import Database
from storage.repositories import MarketInboxRepo

logger = logging.getLogger(__name__)

DEFAULT_CAP = 10_000  # notifications waiting; a day of a busy cabinet's orders is far fewer
Finished = Literal["done", "ignored", "failed"]


class InboxFull(Exception):
    """The inbox holds `cap` notifications still waiting: this one is not written (the Market retries)."""


class MarketInbox:
    def __init__(self, db: Database, *, cap: int = DEFAULT_CAP) -> None:
        self._db = db
        self._cap = cap
        self._refusing = False  # told once in the log per spell of refusals
        self._waiting: list[tuple[MarketEvent, dt.datetime, asyncio.Future[bool]]] = []
        self._writing = asyncio.Lock()

    async def record(self, event: MarketEvent, received_at: dt.datetime) -> bool:
        """Write a notification to be worked on; False when it is already here (a duplicate: the
        Market sent it again). InboxFull when `cap` wait already. Returns once it is committed."""
        written: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((event, received_at, written))
        async with self._writing:  # whoever holds it writes everything waiting, this one included
            if self._waiting:
                batch, self._waiting = self._waiting, []
                await self._write(batch)
        return await written

    async def _write(self, batch: list[tuple[MarketEvent, dt.datetime, asyncio.Future[bool]]]) -> None:
        results: list[bool | InboxFull] = []
        try:
            async with self._db.transaction() as tx:
                repo = MarketInboxRepo(tx)
                waiting = await repo.count_new(self._cap)
                for event, received_at, _ in batch:
                    if waiting >= self._cap and not await repo.holds(event):
                        self._refused(event)
                        results.append(InboxFull(event.kind))
                    elif waiting >= self._cap:
                        results.append(False)
                    else:
                        added = await repo.add(event, received_at) is not None
                        waiting += added
                        results.append(added)
        except BaseException as exc:  # each waiting caller gets the failure (and none waits forever)
            for *_, written in batch:
                written.set_exception(exc if isinstance(exc, Exception) else RuntimeError("cancelled"))
            raise
        for (*_, written), result in zip(batch, results, strict=True):
            if isinstance(result, InboxFull):
                written.set_exception(result)
            else:
                self._refusing = False
                written.set_result(result)

    async def record_done(self, event: MarketEvent, received_at: dt.datetime, outcome: str) -> bool:
        """Write a notification nothing is left to do about (PING): it counts for `last_seen`."""
        return await MarketInboxRepo(self._db).add(event, received_at, "done", outcome) is not None

    async def due(self, limit: int = 50) -> list[tuple[int, MarketEvent]]:
        """The oldest notifications still to be worked on, with their inbox ids."""
        return await MarketInboxRepo(self._db).due(limit)

    async def finish(self, inbox_id: int, state: Finished, outcome: str) -> None:
        """A notification worked on: 'done', 'ignored' or 'failed', and what was done ("alerted"...)."""
        if state not in ("done", "ignored", "failed"):
            raise ValueError(f"not a finished state: {state!r}")
        await MarketInboxRepo(self._db).finish(inbox_id, state, outcome)

    async def last_seen(self, campaign_id: int | None = None) -> dt.datetime | None:
        """When the last notification about this shop arrived (None: any notification, PING included);
        None if none is kept."""
        return await MarketInboxRepo(self._db).last_received(campaign_id)

    def _refused(self, event: MarketEvent) -> None:
        if not self._refusing:
            self._refusing = True
            logger.warning(
                "market inbox full: %d notifications wait to be worked on (the cap); refusing new ones "
                "with 500 until some are done (the Market sends them again later); first refused: %s",
                self._cap,
                event.kind,
            )
