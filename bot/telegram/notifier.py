"""Tells people about things that happen outside their own conversation (implements `Notices`)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import BufferedInputFile

from bot.domain.alerts import Alert
from bot.domain.outcomes import Outcome
from bot.domain.records import BatchSummary, ChatPost, Operation, Shop
from bot.services.background import Tasks
from bot.services.delivery_services import DeliveryServices
from bot.services.notices import ChatNote, Notice, OrderNumbers
from bot.services.users import UsersService
from bot.telegram.alert_views import alert_keyboard, alert_text
from bot.telegram.chat_views import chat_keyboard, chat_texts, is_picture
from bot.telegram.i18n import Catalogue, Texts
from bot.telegram.menus import Menus
from bot.telegram.safety import quietly
from bot.telegram.views import (
    batch_progress_text,
    batch_report_texts,
    fit,
    history_line,
    orders_listed,
    outcome_text,
)

logger = logging.getLogger(__name__)


class Notifier:
    def __init__(
        self,
        bot: Bot,
        catalogue: Catalogue,
        users: UsersService,
        services: DeliveryServices,
        menus: Menus | None = None,
    ) -> None:
        self._menus = menus
        self._bot = bot
        self._catalogue = catalogue
        self._users = users
        self._services = services
        self._soon = Tasks()
        # Parts of a long batch report already delivered: a report cut by Telegram (a flood wait, a 5xx)
        # goes on from the next part when the worker tries again, never from its start.
        self._report_parts: dict[int, int] = {}

    async def tell(self, user_id: int, key: str, **args: object) -> None:
        t = await self._texts(user_id)
        values = {k: orders_listed(t, v) if isinstance(v, OrderNumbers) else v for k, v in args.items()}
        await self._send(user_id, fit(t(key, **values)))

    def tell_soon(self, notices: Sequence[Notice]) -> None:
        """Send these after the reply, in the background. A notice is a courtesy (what it is about is
        recorded): a fault drops the rest of them, logged."""
        if notices:
            self._soon.spawn(self._tell_all(list(notices)), name="notices")

    async def _tell_all(self, notices: list[Notice]) -> None:
        for notice in notices:
            await self.tell(notice.user_id, notice.key, **notice.args)

    async def stop(self, grace: float) -> None:
        """Let notices still being sent go on for `grace` seconds, then drop them."""
        await self._soon.stop(grace)

    async def result_later(self, outcome: Outcome) -> bool:
        op = outcome.operation
        t = await self._texts(op.user_id)
        text = outcome_text(t, outcome, await self._services.names())
        try:
            await self._bot.send_message(op.user_id, text)
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            logger.warning("result of operation %s cannot be delivered: %s", op.id, type(exc).__name__)
        except TelegramAPIError as exc:  # network, server, flood wait: the worker tries again later
            logger.warning("result of operation %s not delivered yet: %s", op.id, type(exc).__name__)
            return False
        return True

    async def owner_notice(self, shop: Shop, outcome: Outcome) -> None:
        op = outcome.operation
        t = await self._texts(shop.owner_id)
        who = (await self._users.names([op.user_id])).get(op.user_id, str(op.user_id))
        line = history_line(t, op, await self._services.names())
        await self._send(shop.owner_id, t("owner-notice", name=who, shop=shop.title, line=line))

    async def batch_progress(self, summary: BatchSummary) -> None:
        batch = summary.batch
        if batch.message_id is None:
            return
        text = batch_progress_text(await self._texts(batch.user_id), summary)
        await quietly(
            self._bot.edit_message_text(text, chat_id=batch.user_id, message_id=batch.message_id),
            "show a batch's progress",
        )

    async def batch_report(self, summary: BatchSummary, failed: list[Operation]) -> bool:
        batch = summary.batch
        t = await self._texts(batch.user_id)
        parts = batch_report_texts(t, summary, failed)
        done = self._report_parts.get(batch.id, 0)
        try:
            for n, text in enumerate(parts[done:], start=done):
                edited = n == 0 and batch.message_id is not None
                if not (edited and await self._edited(batch.user_id, batch.message_id or 0, text)):
                    await self._bot.send_message(batch.user_id, text)
                self._report_parts[batch.id] = n + 1
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            logger.warning("report of batch %s cannot be delivered: %s", batch.id, type(exc).__name__)
        except TelegramAPIError as exc:  # the worker tries again later, from the part that failed
            logger.warning("report of batch %s not delivered yet: %s", batch.id, type(exc).__name__)
            return False
        self._report_parts.pop(batch.id, None)
        return True

    async def alert(
        self, user_id: int, alert: Alert, shop: Shop, now: dt.datetime
    ) -> tuple[bool, int | None]:
        t = await self._texts(user_id)
        try:
            sent = await self._bot.send_message(
                user_id, alert_text(t, alert, shop, now), reply_markup=alert_keyboard(t, alert)
            )
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            logger.warning("alert %s cannot be delivered: %s", alert.id, type(exc).__name__)
            return True, None
        except TelegramAPIError as exc:  # network, server, flood wait: tried again on the next turn
            logger.warning("alert %s not delivered yet: %s", alert.id, type(exc).__name__)
            return False, None
        return True, sent.message_id

    async def alert_settled(
        self, user_id: int, message_id: int, alert: Alert, request: Alert, shop: Shop, who: str | None
    ) -> None:
        t = await self._texts(user_id)
        text = alert_text(t, alert, shop, request.answered_at or alert.created_at, settled=request, who=who)
        await quietly(
            self._bot.edit_message_text(text, chat_id=user_id, message_id=message_id, reply_markup=None),
            "show who answered a cancellation request",
        )

    async def chat_message(self, user_id: int, note: ChatNote) -> tuple[bool, list[tuple[int, bool]]]:
        t = await self._texts(user_id)
        chat = note.chat
        keyboard = chat_keyboard(
            t, note.shop.id, chat.chat_id, chat.context.order_id, may_reply=note.may_reply
        )
        posts: list[tuple[int, bool]] = []
        texts = chat_texts(t, note)
        try:
            header = await self._bot.send_message(user_id, texts[0], reply_markup=keyboard)
            posts.append((header.message_id, True))
            for more in texts[1:]:
                sent = await self._bot.send_message(user_id, more, reply_to_message_id=header.message_id)
                posts.append((sent.message_id, False))
            for file in note.files:
                if file.data is None:
                    continue
                try:
                    posts.append(
                        (await self._chat_file(user_id, file.name, file.data, header.message_id), False)
                    )
                except TelegramBadRequest as exc:  # this file only (it stays named in the header)
                    logger.warning("a buyer's file was not taken by Telegram: %s", type(exc).__name__)
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            logger.warning("a buyer's message cannot be shown to a user: %s", type(exc).__name__)
            return True, posts
        except TelegramAPIError as exc:  # network, server, flood wait: tried again on the next turn
            logger.warning("a buyer's message not shown yet: %s", type(exc).__name__)
            return False, posts
        return True, posts

    async def _chat_file(self, user_id: int, name: str, data: bytes, header_id: int) -> int:
        """A buyer's file under their message: a picture as a photo (one Telegram will not take as a
        photo, as a document), anything else as a document."""
        upload = BufferedInputFile(data, filename=name)
        if is_picture(name):
            try:
                return (await self._bot.send_photo(user_id, upload, reply_to_message_id=header_id)).message_id
            except TelegramBadRequest:
                logger.info("a buyer's picture was not taken as a photo; sent as a document")
        return (await self._bot.send_document(user_id, upload, reply_to_message_id=header_id)).message_id

    async def chat_answered(self, post: ChatPost, who: str, may_reply: bool) -> None:
        t = await self._texts(post.user_id)
        keyboard = chat_keyboard(
            t, post.shop_id, post.chat_id, post.order_id, may_reply=may_reply, answered_by=who
        )
        await quietly(
            self._bot.edit_message_reply_markup(
                chat_id=post.user_id, message_id=post.tg_message_id, reply_markup=keyboard
            ),
            "show who answered a buyer",
        )

    async def roles_changed(self, user_ids: Iterable[int]) -> None:
        if self._menus is not None:
            await self._menus.follow(user_ids)

    async def _edited(self, chat_id: int, message_id: int, text: str) -> bool:
        """The progress message now says `text` (False when it cannot be edited: too old, deleted)."""
        try:
            await self._bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
        except TelegramBadRequest:
            return False
        return True

    async def _texts(self, user_id: int) -> Texts:
        return self._catalogue.texts(await self._users.language(user_id))

    async def _send(self, chat_id: int, text: str) -> None:
        # What the notice is about is recorded (see /history); a blocked bot or a network fault loses
        # only the notice.
        await quietly(self._bot.send_message(chat_id, text), "send a notice")
