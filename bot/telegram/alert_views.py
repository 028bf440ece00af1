"""Alert messages and their buttons. Their callback data live here, not with their handlers
(handlers.alerts, handlers.order), because the notifier sends them from outside any conversation."""

from __future__ import annotations

import datetime as dt

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot.domain.alerts import Alert, AlertKind, Answer, DigestLine, time_left
from bot.domain.clock import MSK
from bot.domain.market_data import OrderStatus
from bot.domain.records import Shop
from bot.telegram.i18n import Safe, Texts
from bot.telegram.keyboards import buttons
from bot.telegram.views import fit, human_date, status_text

DIGEST_BUTTONS = 20  # «Перенести дату» buttons under a digest (the list itself may be longer)
DIGEST_LINES = 60  # orders listed in a digest


class OpenCD(CallbackData, prefix="oo"):
    """Open the card of `order_id` in `shop_id` (under a result, an alert, a list)."""

    order_id: int
    shop_id: int


class AnswerCD(CallbackData, prefix="ca"):
    """Answer the cancellation request of alert `alert_id` (its shop re-checked on the server)."""

    alert_id: int
    shop_id: int
    answer: Answer


class AcceptCD(CallbackData, prefix="cy"):
    """«⛔ Да, отменить» ("send") / «Не отменять» ("cancel") under the question «⛔ Отменить заказ» of
    alert `alert_id` asks first; `nonce` (one per question) makes the answer sent once."""

    action: str
    shop_id: int
    nonce: str
    alert_id: int


class MoveCD(CallbackData, prefix="md"):
    """Move the delivery date of `order_id` in `shop_id` (from the morning digest)."""

    order_id: int
    shop_id: int


ANSWER_BUTTONS = (
    (Answer.ACCEPT, "button-alert-accept"),
    (Answer.DELIVERED, "button-alert-delivered"),
    (Answer.IN_DELIVERY, "button-alert-in-delivery"),
)


def duration(t: Texts, delta: dt.timedelta) -> Safe:
    minutes = int(delta.total_seconds() // 60)
    return t("duration", hours=minutes // 60, minutes=minutes % 60)


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(MSK).strftime("%d.%m %H:%M")


def _status(t: Texts, raw: str | None) -> str:
    if raw is None:
        return "—"
    return status_text(t, OrderStatus(raw) if raw in OrderStatus._value2member_map_ else raw)


def _order_lines(t: Texts, alert: Alert, shop: Shop) -> list[str]:
    facts = alert.facts
    day = human_date(t, facts.day) if facts.day else "—"
    return [
        t("alert-shop", shop=shop.title),
        t("alert-order-facts", status=_status(t, facts.status), day=day, items=facts.items),
    ]


def answer_name(t: Texts, answer: str | None) -> str:
    return t.plain(f"answer-{answer}") if answer in Answer._value2member_map_ else ""


def settled_line(t: Texts, request: Alert, who: str | None) -> Safe:
    if request.answer in Answer._value2member_map_:
        return t("alert-answered", name=who or "—", answer=answer_name(t, request.answer))
    return t("alert-settled-cancelled" if request.answer == "cancelled" else "alert-settled-elsewhere")


def alert_text(
    t: Texts,
    alert: Alert,
    shop: Shop,
    now: dt.datetime,
    *,
    settled: Alert | None = None,
    who: str | None = None,
) -> str:
    """The alert as its message says it; `settled`: the request was answered (no time left shown)."""
    facts = alert.facts
    if alert.kind is AlertKind.NEW_ORDER:
        day = human_date(t, facts.day) if facts.day else "—"
        return str(t("alert-new-order", id=alert.order_id, shop=shop.title, items=facts.items, day=day))
    if alert.kind is AlertKind.DIGEST:
        return digest_text(t, alert, shop)
    deadline = alert.deadline or now
    head = "alert-reminder-head" if alert.kind is AlertKind.REMINDER else "alert-cancel-head"
    lines = [
        t(head, id=alert.order_id, left=duration(t, time_left(deadline, now))),
        *_order_lines(t, alert, shop),
    ]
    requested = _when(facts.requested_at) if facts.requested_at else "—"
    if settled is not None:
        lines += [t("alert-cancel-requested", when=requested), "", settled_line(t, settled, who)]
    else:
        lines += [
            t(
                "alert-cancel-when",
                when=requested,
                left=duration(t, time_left(deadline, now)),
                deadline=_when(deadline),
            ),
            "",
            t("alert-cancel-ask"),
        ]
    return fit("\n".join(lines))


def _digest_line(t: Texts, line: DigestLine) -> Safe:
    return t("alert-digest-line", id=line.order_id, day=human_date(t, line.day))


def digest_text(t: Texts, alert: Alert, shop: Shop) -> str:
    """Overdue first, then today's; at most DIGEST_LINES orders listed (the rest: /orders)."""
    facts = alert.facts
    day = human_date(t, alert.created_at.astimezone(MSK).date())
    lines: list[str] = [t("alert-digest-head", shop=shop.title, date=day)]
    room = DIGEST_LINES
    for key, group in (("alert-digest-overdue", facts.overdue), ("alert-digest-today", facts.today)):
        if group:
            lines += ["", t(key, count=len(group)), *(_digest_line(t, x) for x in group[:room])]
            room = max(0, room - len(group))
    total = len(facts.overdue) + len(facts.today)
    if total > DIGEST_LINES:
        lines += ["", t("alert-digest-unlisted", count=total - DIGEST_LINES)]
    if total > DIGEST_BUTTONS:
        lines.append(t("alert-digest-more", count=DIGEST_BUTTONS))
    return fit("\n".join(lines))


def alert_keyboard(t: Texts, alert: Alert) -> InlineKeyboardMarkup | None:
    if alert.kind in (AlertKind.CANCEL, AlertKind.REMINDER):
        answers = [
            (t.plain(key), AnswerCD(alert_id=alert.id, shop_id=alert.shop_id, answer=a))
            for a, key in ANSWER_BUTTONS
        ]
        opened = (t.plain("button-open-card"), OpenCD(order_id=alert.order_id, shop_id=alert.shop_id))
        return buttons([*answers, opened])
    if alert.kind is AlertKind.NEW_ORDER:
        return buttons(
            [(t.plain("button-alert-open"), OpenCD(order_id=alert.order_id, shop_id=alert.shop_id))]
        )
    lines = [*alert.facts.overdue, *alert.facts.today][:DIGEST_BUTTONS]
    moves = [
        (
            t.plain("button-alert-move", id=str(x.order_id)[-6:], day=f"{x.day:%d.%m}"),
            MoveCD(order_id=x.order_id, shop_id=alert.shop_id),
        )
        for x in lines
    ]
    return buttons(moves, per_row=2) if moves else None
