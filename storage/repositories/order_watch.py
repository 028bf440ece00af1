"""The `order_watch` table: each shop's poll cursor (how far its orders have been looked at, the window
a page cap stopped) and the day of its last morning digest."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.db import Executor, timestamp


@dataclass(frozen=True, slots=True)
class Sweep:
    """One window of update times, [start, end), read page by page: `token` names its next page (None:
    from the first), `pages` says how many were read."""

    start: dt.datetime
    end: dt.datetime
    token: str | None = None
    pages: int = 0


@dataclass(frozen=True, slots=True)
class Watch:
    watched_from: dt.datetime
    polled_until: dt.datetime
    digest_day: dt.date | None
    sweep: Sweep | None = None  # a window the page cap stopped; the next poll goes on with it


def _moment(raw: str) -> dt.datetime:
    return dt.datetime.fromisoformat(raw)


class OrderWatchRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    async def watch(self, shop_id: int) -> Watch | None:
        row = await self._ex.fetch_one(
            "SELECT watched_from, polled_until, digest_day, sweep_from, sweep_to, sweep_token, sweep_pages "
            "FROM order_watch WHERE shop_id = ?",
            (shop_id,),
        )
        if row is None:
            return None
        day = dt.date.fromisoformat(row["digest_day"]) if row["digest_day"] else None
        sweep = (
            Sweep(
                _moment(row["sweep_from"]), _moment(row["sweep_to"]), row["sweep_token"], row["sweep_pages"]
            )
            if row["sweep_from"] and row["sweep_to"]
            else None
        )
        return Watch(_moment(row["watched_from"]), _moment(row["polled_until"]), day, sweep)

    async def polled(self, shop_id: int, until: dt.datetime, *, watched_from: dt.datetime) -> None:
        """The shop's orders changed before `until` have been looked at: its window is read through
        (the first poll starts the watch)."""
        await self._ex.execute(
            "INSERT INTO order_watch (shop_id, watched_from, polled_until) VALUES (?, ?, ?) "
            "ON CONFLICT(shop_id) DO UPDATE SET polled_until = excluded.polled_until, "
            "sweep_from = NULL, sweep_to = NULL, sweep_token = NULL, sweep_pages = 0",
            (shop_id, timestamp(watched_from), timestamp(until)),
        )

    async def paused(self, shop_id: int, sweep: Sweep, *, watched_from: dt.datetime) -> None:
        """The page cap stopped the poll inside `sweep`: keep where it is; the cursor stays where it was
        (a shop's first poll starts its watch with the cursor at the window's start)."""
        await self._ex.execute(
            "INSERT INTO order_watch (shop_id, watched_from, polled_until, sweep_from, sweep_to, "
            "sweep_token, sweep_pages) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(shop_id) DO UPDATE SET "
            "sweep_from = excluded.sweep_from, sweep_to = excluded.sweep_to, "
            "sweep_token = excluded.sweep_token, sweep_pages = excluded.sweep_pages",
            (
                shop_id,
                timestamp(watched_from),
                timestamp(sweep.start),
                timestamp(sweep.start),
                timestamp(sweep.end),
                sweep.token,
                sweep.pages,
            ),
        )

    async def digest_recorded(self, shop_id: int, day: dt.date) -> None:
        await self._ex.execute(
            "UPDATE order_watch SET digest_day = ? WHERE shop_id = ?", (day.isoformat(), shop_id)
        )
