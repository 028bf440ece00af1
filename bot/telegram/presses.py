"""Every button press gets exactly one answer: the spinner stops, and a toast or an alert may say
something.

aiogram's `CallbackAnswerMiddleware` answers after the handler, with what the handler put into its
`callback_answer` (`text`, `show_alert`); before the handler when it is registered with `flags=PRE`
(it asks the Market: the spinner stops first); not at all when the handler answered at once itself
(`answer_now`, before slow work). Added here:

- the answer is best-effort (`quietly`): a failed answer loses nothing the handler did;
- `PressErrors` hands a press's error to the error handlers inside the answer's scope, so that they
  see `callback_answer`: a refusal becomes the press's alert (handlers/errors.py), and a press still
  gets its one answer whatever went wrong.

A press the access check refuses, or flood control drops, is answered there (the handler never runs).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.dispatcher.event.bases import UNHANDLED, CancelHandler, SkipHandler
from aiogram.types import CallbackQuery, ErrorEvent, TelegramObject
from aiogram.utils.callback_answer import CallbackAnswer, CallbackAnswerMiddleware

from bot.telegram.safety import quietly

PRE: dict[str, Any] = {"callback_answer": {"pre": True}}  # handler flags: answer before it runs


class PressAnswers(CallbackAnswerMiddleware):
    """aiogram's, answering quietly."""

    def answer(self, event: CallbackQuery, callback_answer: CallbackAnswer) -> Any:
        return quietly(super().answer(event, callback_answer), "answer a button press")


class PressErrors(BaseMiddleware):
    """A press handler's error goes to the error handlers of `router` here, inside the press's answer
    (aiogram's own error middleware sits outside it, at the update, and would come too late)."""

    def __init__(self, router: Router) -> None:
        self._router = router

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except (SkipHandler, CancelHandler):
            raise
        except Exception as exc:
            failed = ErrorEvent(update=data["event_update"], exception=exc)
            response = await self._router.propagate_event(update_type="error", event=failed, **data)
            if response is UNHANDLED:
                raise
            return response


def answered(callback_answer: CallbackAnswer | None) -> bool:
    """The press has had its answer (or its handler answers it): nothing more can be said in a toast."""
    return callback_answer is not None and (callback_answer.answered or callback_answer.disabled)


async def answer_now(query: CallbackQuery, callback_answer: CallbackAnswer, text: str | None = None) -> None:
    """Answer the press at once, before slow work (the toast shows while the Market is asked); the
    middleware then does not answer it again."""
    callback_answer.disable()
    await quietly(query.answer(text), "answer a button press")
