"""Callback data that one handler module draws and another handles. It lives here, with neither,
because no handler module imports another (alert buttons, which the notifier draws too, are in
`alert_views`; the confirmation card's, drawn by the shared order steps, in `order_steps`)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class BatchCD(CallbackData, prefix="bh"):
    """A batch's lines: opened from /history (a new message), or another page of them (edited)."""

    id: int
    shop_id: int
    page: int = 0
    edit: bool = False


class SameKeyCD(CallbackData, prefix="sk"):
    """/shop's «Другой магазин этого ключа»: the key of `shop_id` offers its other shops to connect."""

    shop_id: int


class SwitchCD(CallbackData, prefix="sw"):
    """«Переключиться»: make `shop_id` the active shop and go on with its order `order_id` (offered by
    the shared order step when the number typed is an order of another of the user's shops)."""

    shop_id: int
    order_id: int


class ChatCD(CallbackData, prefix="ch"):
    """A buyer's chat of `shop_id`: «↩️ Ответить» (`reply`), open its last messages (`open`), a quick
    phrase `n` (`phrase`), the order's chat from its card (`write`, `order_id`), stop answering
    (`stop`). The chat's shop and the presser's right to it are re-checked on every press."""

    action: str
    shop_id: int
    chat_id: int = 0
    order_id: int = 0
    n: int = 0
