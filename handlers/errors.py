"""Last line of defence: log what no handler expected, with its update, never a secret."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent

logger = logging.getLogger(__name__)
router = Router(name="errors")


@router.error()
async def on_unexpected_error(event: ErrorEvent) -> bool:
    update = event.update
    logger.error(
        "unhandled %s in update %s (%s)",
        type(event.exception).__name__,
        update.update_id,
        update.event_type,
        exc_info=event.exception,
    )
    return True
