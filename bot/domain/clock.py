"""Time as the bot sees it: UTC for records, Moscow for what people call "today"."""

from __future__ import annotations

import datetime as dt

MSK = dt.timezone(dt.timedelta(hours=3), "MSK")  # Moscow has kept UTC+3 all year since 2014


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def moscow_today(now: dt.datetime | None = None) -> dt.date:
    return (now or utcnow()).astimezone(MSK).date()
