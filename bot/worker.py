"""The background worker that retries pending operations and tells users the final result."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot.delivery_services import DeliveryServiceCatalog
from bot.i18n import Catalogue, Texts
from bot.operations import OperationSender, Outcome
from bot.views import history_line, outcome_text, service_names
from storage.models import Operation, OperationKind
from storage.repositories import OperationsRepo, ShopsRepo, UsersRepo, utcnow

logger = logging.getLogger(__name__)


class Notifier:
    """Tells people about operations: the user who confirmed one, and the owner if they asked to be."""

    def __init__(
        self, catalogue: Catalogue, users: UsersRepo, services: DeliveryServiceCatalog, shops: ShopsRepo
    ) -> None:
        self._catalogue = catalogue
        self._users = users
        self._services = services
        self._shops = shops

    async def result_later(self, bot: Bot, outcome: Outcome) -> None:
        """The final result of an operation that was queued, to its user (and the owner's notice)."""
        op = outcome.operation
        t = await self._texts(op.user_id)
        await self._send(bot, op.user_id, outcome_text(t, outcome, await self._service_name(op)))
        await self.owner_notice(bot, outcome)

    async def owner_notice(self, bot: Bot, outcome: Outcome) -> None:
        """A short line to the owner about a courier's operation, when the shop has notices on."""
        op = outcome.operation
        shop = await self._shops.get(op.shop_id)
        if shop is None or not shop.notify_owner or op.user_id == shop.owner_id or outcome.pending:
            return
        t = await self._texts(shop.owner_id)
        who = (await self._users.names([op.user_id])).get(op.user_id, str(op.user_id))
        line = history_line(t, op, {s.id: s.name for s in await self._services.cached()})
        await self._send(bot, shop.owner_id, t("owner-notice", name=who, shop=shop.title, line=line))

    async def _texts(self, user_id: int) -> Texts:
        user = await self._users.get(user_id)
        return self._catalogue.texts(user.language if user else None)

    async def _service_name(self, op: Operation) -> str | None:
        if op.kind is not OperationKind.TRACK:
            return None
        return service_names(await self._services.cached()).get(int(op.payload["deliveryServiceId"]))

    async def _send(self, bot: Bot, chat_id: int, text: str) -> None:
        try:
            await bot.send_message(chat_id, text)
        except TelegramAPIError as exc:
            # The result is recorded (see /history); a blocked bot or a network fault loses only the note.
            logger.warning("could not send a notice: %s", type(exc).__name__)


class RetryWorker:
    def __init__(
        self,
        sender: OperationSender,
        operations: OperationsRepo,
        notify: Callable[[Outcome], Awaitable[None]],
        *,
        poll_interval: float = 2.0,
        concurrency: int = 8,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._sender = sender
        self._operations = operations
        self._notify = notify
        self._poll_interval = poll_interval
        self._slots = asyncio.Semaphore(concurrency)
        self._clock = clock
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._loop_task: asyncio.Task[None] | None = None
        sender.on_queued = self.wake

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        recovered = await self._operations.recover_interrupted(self._clock())
        if recovered:
            logger.warning(
                "%d operation(s) were being sent when the bot stopped; re-checking them", recovered
            )
        self._loop_task = asyncio.create_task(self._loop(), name="retry-worker")

    async def stop(self, grace: float = 5.0) -> None:
        """Stop taking work; let attempts in flight finish for `grace` seconds, then cancel them.

        A cancelled attempt leaves its operation `sending`; the next start re-checks it with the
        Market before sending anything again, so nothing is lost or sent twice.
        """
        self._stopping.set()
        self._wake.set()
        if self._loop_task is not None:
            await self._loop_task
        if self._in_flight:
            _, late = await asyncio.wait(list(self._in_flight.values()), timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            for op in await self._operations.due(self._clock(), limit=50):
                if op.id not in self._in_flight and not self._stopping.is_set():
                    await self._slots.acquire()
                    task = asyncio.create_task(self._process(op), name=f"operation-{op.id}")
                    self._in_flight[op.id] = task
                    task.add_done_callback(functools.partial(self._done, op.id))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)

    def _done(self, op_id: int, _: asyncio.Task[None]) -> None:
        self._in_flight.pop(op_id, None)
        self._slots.release()

    async def _process(self, op: Operation) -> None:
        outcome = await self._sender.run(op)
        if outcome is not None and not outcome.pending:
            await self._notify(outcome)
