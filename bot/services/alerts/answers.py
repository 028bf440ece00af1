"""Answers to cancellation requests. An answer is one press and an ordinary operation (recorded before
it is sent, retried, read back); one answer per request, whoever presses first: pressing claims the
request in the transaction that records the operation. When the Market takes it, the request is
settled and every message about it says who answered; when it refuses, the request is free again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.domain.alerts import CANCEL_KINDS, SETTLED_ELSEWHERE, Alert, Answer
from bot.domain.clock import utcnow
from bot.domain.errors import AnswerTaken, Refused
from bot.domain.operations import CancellationAnswer
from bot.domain.outcomes import Outcome
from bot.domain.records import Operation
from bot.services.access import Access
from bot.services.alerts.outbox import AlertOutbox
from bot.services.operations import Operations
from storage.db import Database, Executor
from storage.repositories import AlertsRepo, Repos
from storage.secrets import SecretBox


class _Taken(Exception):
    """The claim lost the race: the operation's transaction is rolled back."""


class CancellationAnswers:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        operations: Operations,
        outbox: AlertOutbox,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self._box = box
        self._operations = operations
        self._outbox = outbox
        self.clock = clock
        operations.on_final.append(self._answer_final)

    @property
    def _repos(self) -> Repos:
        return Repos.on(self._db, self._box)

    async def order_to_cancel(self, access: Access, alert_id: int) -> int:
        """The order a cancellation is asked about before it is accepted (still unanswered). Raises
        as `claim` does: `Refused("stale-button")`, or `AnswerTaken` when someone answered it."""
        request = await self._request(access, alert_id)
        if request.answer is not None:
            raise await self._taken(request.id)
        return request.order_id

    async def claim(self, access: Access, alert_id: int, answer: Answer, nonce: str) -> Operation | Outcome:
        """Record the answer to the cancellation request an alert (or its reminder) is about, as an
        operation for `first_attempt`; returns the outcome instead when this press was handled before.
        Raises `Refused("stale-button")` when the alert is not this shop's request (or, for a
        courier, not one sent to them), `AnswerTaken` when someone answered it, or is answering it
        now (one answer per request)."""
        request = await self._request(access, alert_id)
        before = await self._operations.confirmed_before(access.user_id, nonce)
        if before is not None:
            return before
        if request.answer is not None:
            raise await self._taken(request.id)
        action = CancellationAnswer.of(answer.accepted, None if answer.accepted else answer.value)

        async def claim(tx: Executor) -> None:
            if not await AlertsRepo(tx).claim_answer(request.id, access.user_id, answer.value):
                raise _Taken

        try:
            return await self._operations.record(access, request.order_id, action, nonce, also=claim)
        except _Taken:
            raise await self._taken(request.id) from None

    async def _request(self, access: Access, alert_id: int) -> Alert:
        """The cancellation request alert `alert_id` (or its reminder) of this shop is about; for a
        courier, only one they were sent."""
        repos = self._repos
        alert = await repos.alerts.get(alert_id)
        if alert is None or alert.shop_id != access.shop_id or alert.kind not in CANCEL_KINDS:
            raise Refused("stale-button")
        if not access.is_owner and access.user_id not in await repos.alert_deliveries.recipients(alert.id):
            raise Refused("stale-button")  # a courier answers only a request they were asked about
        request = await repos.alerts.request_of(alert)
        if request is None:
            raise Refused("stale-button")
        return request

    async def _taken(self, request_id: int) -> AnswerTaken:
        request = await self._repos.alerts.get(request_id)
        by = request.answered_by if request else None
        who = (await self._repos.users.names([by])).get(by) if by is not None else None
        return AnswerTaken(who, (request.answer if request else None) or SETTLED_ELSEWHERE)

    async def _answer_final(self, outcome: Outcome) -> None:
        """An answer ended: taken by the Market (everyone's message says so), or refused (free again)."""
        op = outcome.operation
        if not isinstance(op.action, CancellationAnswer) or outcome.pending:
            return
        request = await self._repos.alerts.cancel_request(op.shop_id, op.order_id)
        if request is None:
            return
        if outcome.ok:
            if await self._repos.alerts.answered(request.id, self.clock()):
                await self._outbox.show_settled(request.id)
        else:
            await self._repos.alerts.release_answer(request.id)
