"""The alerts' outbox: what the poller recorded goes out after the transaction that recorded it (a
restart in between sends it then, once), and every message about a cancellation request shows it
settled once it is."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from bot.domain.alerts import CANCEL_KINDS, Alert, AlertKind
from bot.domain.clock import utcnow
from bot.services.notices import Notices
from storage.db import Database
from storage.repositories import Repos
from storage.secrets import SecretBox


class AlertOutbox:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        notices: Notices,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self._box = box
        self._notices = notices
        self.clock = clock  # a message says how much time is left then
        self.on_sent: Callable[[AlertKind], None] = lambda kind: None  # the metrics count them
        # The poller and the notifications' worker both send what they recorded: one at a time, or
        # both would read the same message as due and send it twice.
        self._sending = asyncio.Lock()

    @property
    def _repos(self) -> Repos:
        return Repos.on(self._db, self._box)

    async def deliver(self) -> int:
        """Send what was recorded and not yet sent. Stops at the first message Telegram could not take
        now (tried again on the next turn)."""
        async with self._sending:
            return await self._deliver()

    async def _deliver(self) -> int:
        delivered = 0
        repos = self._repos
        for due in await repos.alert_deliveries.due():
            alert = due.alert
            shop = await repos.shops.get(alert.shop_id)
            member = await repos.memberships.of_user_in(due.user_id, alert.shop_id) if shop else None
            settled = alert.kind in CANCEL_KINDS and await self._settled(alert)
            if shop is None or member is None or settled:
                # no longer theirs, or no longer needed
                await repos.alert_deliveries.sent(alert.id, due.user_id, None)
                continue
            done, message_id = await self._notices.alert(due.user_id, alert, shop, self.clock())
            if not done:
                break
            await repos.alert_deliveries.sent(alert.id, due.user_id, message_id)
            if message_id is not None:
                self.on_sent(alert.kind)
            delivered += 1
        return delivered

    async def _settled(self, alert: Alert) -> bool:
        request = await self._repos.alerts.request_of(alert)
        return request is None or request.answered

    async def show_settled(self, request_id: int) -> None:
        """Every message about this request now says who answered it, without its buttons."""
        repos = self._repos
        request = await repos.alerts.get(request_id)
        shop = await repos.shops.get(request.shop_id) if request else None
        if request is None or shop is None:
            return
        who = (
            (await repos.users.names([request.answered_by])).get(request.answered_by)
            if request.answered_by
            else None
        )
        for shown in await repos.alert_deliveries.shown_for_order(request.shop_id, request.order_id):
            await self._notices.alert_settled(
                shown.user_id, shown.message_id, shown.alert, request, shop, who
            )
