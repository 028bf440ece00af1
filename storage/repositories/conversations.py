"""The `fsm` table as housekeeping sees it (the FSM storage itself is `storage.fsm.SQLiteStorage`)."""

from __future__ import annotations

import datetime as dt

from storage.db import Executor, timestamp


class ConversationsRepo:
    def __init__(self, ex: Executor) -> None:
        self._ex = ex

    async def forget_untouched_since(self, moment: dt.datetime) -> int:
        """Conversations nobody continued since `moment` are dropped."""
        return await self._ex.execute("DELETE FROM fsm WHERE updated_at < ?", (timestamp(moment),))
