"""Rendering of cards and results from the catalogue (pure: text in, text out).

Each operation kind has its view here: `action_done` (the ✅ line) and `action_line` (its /history
entry), registered for the kind's class.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter
from collections.abc import Sequence
from functools import singledispatch

from bot.domain.bulk import MAX_LINES
from bot.domain.clock import MSK
from bot.domain.market_data import BusinessOrder, BuyerInfo, OrderStatus
from bot.domain.market_refusals import explain
from bot.domain.operations import CancellationAnswer, ChatReply, DeliveryDate, Failure, StatusStep, TrackCode
from bot.domain.outcomes import Outcome
from bot.domain.records import Batch, BatchSummary, Operation, OperationStatus
from bot.domain.status_steps import GROUPS, day_group
from bot.services.bulk import BadLine, Preview, ReadyLine
from bot.services.operations import HistoryPage
from bot.telegram.i18n import Safe, Texts

MAX_ITEMS_SHOWN = 5
MESSAGE_LIMIT = 4096  # Telegram refuses longer messages
MARKET_MESSAGE_SHOWN = 500  # characters of the Market's own error text in a reply
HISTORY_MESSAGE_SHOWN = 120  # ... and in a /history line
HISTORY_SHOWN = 20  # entries in /history: operations and bulk sends, newest first
BAD_LINES_SHOWN = 40  # bad lines of a bulk preview listed one by one; the rest are counted
REPLACES_SHOWN = 20  # lines of a bulk preview that replace an order's track code, listed one by one
READY_SHOWN = 10  # ready lines of a bulk preview listed one by one; above that, a count per service
SERVICES_SHOWN = 10  # services counted in a bulk preview; the rest are counted together
LIST_SHOWN = 10  # items of a list written into a text (orders, names, codes); the rest are counted
LIST_CHARS = 600  # ... and at most about this many characters of them
LIST_ITEM_CHARS = 100  # one item is cut to this


def fit(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """A message cut at a line end to fit Telegram's limit (a safety net for lists of any length)."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 2)
    return text[: cut if cut > 0 else limit - 2] + "\n…"


def clip(value: str, limit: int) -> str:
    """A value cut to `limit` characters (before it is escaped into a text)."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def bounded(
    t: Texts, items: Sequence[str], total: int | None = None, *, more: str, separator: str = ", "
) -> Safe:
    """A list written into a text: its first items and how many more there are («№1, №2 и ещё 430
    заказов», `more` names that tail's text, given `count`). Every list of orders, names or codes goes
    into a text through here, however long it is: Telegram takes 4,096 characters a message, Fluent
    2,500 a placeable. `items` are plain text (escaped here); `total`: the whole list's length, when only
    its first items are given; `separator`: between items (the tail follows a line break on its own
    line)."""
    total = len(items) if total is None else total
    shown: list[str] = []
    used = 0
    for item in items[:LIST_SHOWN]:
        text = html.escape(clip(item, LIST_ITEM_CHARS), quote=False)
        if shown and used + len(text) > LIST_CHARS:
            break
        shown.append(text)
        used += len(text) + len(separator)
    listed = separator.join(shown)
    rest = total - len(shown)
    if rest <= 0:
        return Safe(listed)
    return Safe(listed + ("\n" if "\n" in separator else " ") + t(more, count=rest))


def orders_listed(t: Texts, order_ids: Sequence[int]) -> Safe:
    """Order numbers as a bounded list: «№1, №2 и ещё 430 заказов»."""
    first = [t.plain("list-order", id=n) for n in order_ids[:LIST_SHOWN]]
    return bounded(t, first, len(order_ids), more="list-more-orders")


def skipped_list(t: Texts, skipped: Sequence[str]) -> Safe:
    """Messages flood control skipped, one a line: the first few, and how many more."""
    return bounded(t, [f"• {s}" for s in skipped], more="list-more", separator="\n")


HINTS = {401: "hint-401", 403: "hint-403", 404: "hint-404", 400: "hint-400"}


def weekday(t: Texts, day: dt.date) -> str:
    return t(f"weekday-{day.weekday()}")


def human_date(t: Texts, day: dt.date) -> Safe:
    return Safe(f"{day:%d.%m.%Y} ({weekday(t, day)})")


def status_text(t: Texts, status: OrderStatus | str) -> str:
    """The status in words; one the bot does not know yet, as the Market wrote it."""
    return t(f"status-{status.value}") if isinstance(status, OrderStatus) else status


def order_card(t: Texts, order: BusinessOrder, services: dict[int, str] | None = None) -> str:
    lines = [
        t("order-card-title", id=order.order_id),
        t("order-card-status", status=status_text(t, order.status)),
    ]
    dates = order.delivery.dates if order.delivery else None
    if dates is not None:
        to_date = dates.to_date or dates.from_date
        when = human_date(t, dates.from_date)
        if to_date != dates.from_date:
            when = Safe(f"{when} — {human_date(t, to_date)}")
        lines.append(t("order-card-delivery", date=when))
    where = delivery_place(t, order)
    if where:
        lines.append(where)
    if order.cancel_requested:
        lines.append(t("order-card-cancel-requested"))
    for item in order.items[:MAX_ITEMS_SHOWN]:
        lines.append(t("order-card-item", name=item.offer_name, count=item.count))
    if len(order.items) > MAX_ITEMS_SHOWN:
        lines.append(t("order-card-more-items", count=len(order.items) - MAX_ITEMS_SHOWN))
    tracks = order.delivery.tracks if order.delivery else None
    for track in tracks or []:
        service = (services or {}).get(track.delivery_service_id, str(track.delivery_service_id))
        lines.append(t("order-card-track", code=track.track_code or "—", service=service))
    return fit("\n".join(lines), MESSAGE_LIMIT // 2)  # room for the step's question below it


def buyer_text(t: Texts, buyer: BuyerInfo) -> str:
    """The buyer's contact for the courier; Telegram makes the number tappable."""
    if not buyer.phone:
        return t("buyer-no-phone")
    return t("buyer-contact", name=clip(buyer.name, 200) or "—", phone=clip(buyer.phone, 50))


def delivery_place(t: Texts, order: BusinessOrder) -> Safe | None:
    """How and where the order goes: by courier to an address, or to a pickup point (for the team)."""
    delivery = order.delivery
    if delivery is None:
        return None
    pickup = delivery.type == "PICKUP" or delivery.pickup is not None
    place = (delivery.pickup if pickup else delivery.courier) or None
    address = place.address if place is not None else None
    parts = [address.city, address.street, address.house, address.block] if address else []
    if address is not None and address.apartment:
        parts.append(t.plain("order-card-apartment", number=address.apartment))
    text = ", ".join(p for p in parts if p) or "—"
    return t("order-card-pickup" if pickup else "order-card-courier", address=clip(text, 200))


# The bot's own reasons an operation did not go, told in the user's words (the Market's are its own).
OWN_FAILURES = {
    "CANCELLED": "failure-courier-removed",
    "SUPERSEDED": "failure-superseded",
    "ORDER_CANCELLED": "failure-order-cancelled",
    "SHOP_GONE": "failure-shop-gone",
    "KEY_UNREADABLE": "failure-key-unreadable",
    "INTERNAL": "failure-internal",
    "NO_BUSINESS": "failure-no-business",
    "TIMEOUT": "failure-timeout",
    "NETWORK": "failure-network",
}


def failure_message(t: Texts, failure: Failure, limit: int = HISTORY_MESSAGE_SHOWN) -> str:
    """Why it did not go, in a line: the bot's own reason in the user's language, or the Market's text."""
    own = OWN_FAILURES.get(failure.code) if failure.status is None else None
    return t(own) if own else clip(failure.message, limit)


def failure_text(t: Texts, failure: Failure, *, read: bool = False) -> str:
    """Why a call to the Market failed; `read` for a call that only reads (nothing was being sent)."""
    own = OWN_FAILURES.get(failure.code) if failure.status is None else None
    if own is not None:
        retry = failure.code in ("TIMEOUT", "NETWORK")
        head = t("result-not-read" if read else "result-not-sent", reason=t(own))
        return head + ("\n" + t("hint-retry") if retry else "")
    said = t("result-failed-reason", message=clip(failure.message, MARKET_MESSAGE_SHOWN), code=failure.code)
    explained = explain(failure)
    if explained is not None:  # one plain line the user can act on, the Market's own text below
        args = dict(explained.args)
        if "status" in args:
            args["status"] = status_text(t, _status_or_raw(clip(str(args["status"]), LIST_ITEM_CHARS)))
        return t(explained.key, **args) + "\n" + said
    hint_key = HINTS.get(failure.status or 0, "hint-retry")
    return "\n".join([t("result-failed-head"), said, t(hint_key)])


def _status_or_raw(raw: str) -> OrderStatus | str:
    return OrderStatus(raw) if raw in OrderStatus._value2member_map_ else raw


@singledispatch
def action_done(action: object, t: Texts, order_id: int, services: dict[int, str]) -> str:
    raise TypeError(f"no view for {type(action).__name__}")


@action_done.register
def _(action: TrackCode, t: Texts, order_id: int, services: dict[int, str]) -> str:
    service = services.get(action.delivery_service_id, str(action.delivery_service_id))
    return t("result-track-ok", id=order_id, code=action.track_code, service=service)


@action_done.register
def _(action: DeliveryDate, t: Texts, order_id: int, services: dict[int, str]) -> str:
    return t("result-date-ok", id=order_id, date=human_date(t, action.to_date))


@action_done.register
def _(action: StatusStep, t: Texts, order_id: int, services: dict[int, str]) -> str:
    done: str = t("result-status-ok", id=order_id, status=status_text(t, action.status))
    if action.real_delivery_date is not None:
        done += " " + t("result-status-on", date=human_date(t, action.real_delivery_date))
    return done


@action_done.register
def _(action: CancellationAnswer, t: Texts, order_id: int, services: dict[int, str]) -> str:
    return t("result-answer-ok", id=order_id, answer=t.plain(f"answer-{_answer_of(action)}"))


@action_done.register
def _(action: ChatReply, t: Texts, order_id: int, services: dict[int, str]) -> str:
    return t("chat-sent", id=order_id) if order_id else t("chat-sent-direct")


def _answer_of(action: CancellationAnswer) -> str:
    return "accept" if action.accepted else str(action.reason)


@singledispatch
def action_line(action: object, t: Texts, services: dict[int, str]) -> str:
    raise TypeError(f"no view for {type(action).__name__}")


@action_line.register
def _(action: TrackCode, t: Texts, services: dict[int, str]) -> str:
    service = services.get(action.delivery_service_id, str(action.delivery_service_id))
    return t("history-track", code=action.track_code, service=service)


@action_line.register
def _(action: DeliveryDate, t: Texts, services: dict[int, str]) -> str:
    return t("history-date", date=action.to_date.strftime("%d.%m.%Y"))


@action_line.register
def _(action: StatusStep, t: Texts, services: dict[int, str]) -> str:
    return t("history-status", status=status_text(t, action.status))


@action_line.register
def _(action: CancellationAnswer, t: Texts, services: dict[int, str]) -> str:
    return t("history-answer", answer=t.plain(f"answer-{_answer_of(action)}"))


@action_line.register
def _(action: ChatReply, t: Texts, services: dict[int, str]) -> str:
    return t("history-chat")


def outcome_text(t: Texts, outcome: Outcome, services: dict[int, str] | None = None) -> str:
    op = outcome.operation
    if isinstance(op.action, ChatReply) and op.status is not OperationStatus.DONE:
        return _chat_outcome_text(t, outcome)
    if outcome.duplicate and op.status is OperationStatus.DONE:
        return t("result-already-done", id=op.order_id)
    if outcome.pending:
        return t("result-queued", id=op.order_id)
    if op.status is OperationStatus.FAILED:
        failure = outcome.failure or Failure.from_json(op.last_error) or Failure(None, "ERROR", "")
        return t("result-failed-order", id=op.order_id) + "\n" + failure_text(t, failure)
    return action_done(op.action, t, op.order_id, services or {})


def _chat_outcome_text(t: Texts, outcome: Outcome) -> str:
    """A message to a buyer that did not go (yet): queued after a busy Market, or refused."""
    op = outcome.operation
    if outcome.pending:
        return t("chat-queued")
    failure = outcome.failure or Failure.from_json(op.last_error) or Failure(None, "ERROR", "")
    return t("chat-not-sent") + "\n" + failure_text(t, failure)


def history_line(t: Texts, op: Operation, services: dict[int, str], who: str | None = None) -> str:
    when = op.created_at.astimezone(MSK).strftime("%d.%m %H:%M")
    what = action_line(op.action, t, services)
    if op.status is OperationStatus.DONE:
        result = t("history-done")
    elif op.status is OperationStatus.FAILED:
        failure = Failure.from_json(op.last_error)
        result = t("history-failed", message=failure_message(t, failure) if failure else "")
    else:
        result = t("history-pending")
    line = t("history-line", when=when, id=op.order_id, what=what, result=result)
    return Safe(line + t("history-who", name=who)) if who else line


def history_text(t: Texts, shop_title: str, page: HistoryPage, *, team: bool) -> str:
    """Newest first, bulk sends as one line each, as many lines as fit in one message (and how many
    did not)."""
    if not page.operations and not page.batches:
        return t("history-empty", shop=shop_title)
    entries = [
        (op.created_at, history_line(t, op, page.service_names, page.who.get(op.user_id)))
        for op in page.operations
    ] + [(b.batch.created_at, batch_history_line(t, b, page.who.get(b.batch.user_id))) for b in page.batches]
    entries.sort(key=lambda entry: entry[0], reverse=True)
    lines = [line for _, line in entries[:HISTORY_SHOWN]]
    text = t("history-head-team" if team else "history-head", shop=shop_title) + "\n"
    reserve = len(t("history-more", count=len(lines))) + 1
    for shown, line in enumerate(lines):
        if len(text) + 1 + len(line) + reserve > MESSAGE_LIMIT:
            return text + "\n" + t("history-more", count=len(lines) - shown)
        text += "\n" + line
    return text


# --- bulk sends ------------------------------------------------------------------------------


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(MSK).strftime("%d.%m %H:%M")


def batch_history_line(t: Texts, summary: BatchSummary, who: str | None = None) -> str:
    line = t(
        "history-batch",
        when=_when(summary.batch.created_at),
        size=summary.batch.size,
        done=summary.done,
        failed=summary.failed,
        waiting=summary.waiting,
    )
    return Safe(line + t("history-who", name=who)) if who else line


def batch_button(t: Texts, batch: Batch) -> str:
    return t.plain("button-batch", when=_when(batch.created_at), size=batch.size)


def messages(head: str, lines: list[str], tail: str = "", room: int = 0) -> list[str]:
    """`head`, the lines and `tail` in as few messages as Telegram's limit allows (a list of any
    length: each line stays whole; `tail` closes the last message; `room` is kept free in each)."""
    out: list[str] = []
    current = head
    for line in lines:
        if len(current) + 1 + len(line) > MESSAGE_LIMIT - len(tail) - room - 2:
            out.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    out.append(f"{current}\n\n{tail}" if tail else current)
    return [fit(m) for m in out]


def bad_line_text(t: Texts, bad: BadLine) -> str:
    args: dict[str, object] = {name: clip(value, LIST_ITEM_CHARS) for name, value in bad.args.items()}
    if "status" in args:
        raw = str(args["status"])
        args["status"] = status_text(t, OrderStatus(raw) if raw in OrderStatus._value2member_map_ else raw)
    return t("bulk-bad-line", line=bad.line, written=clip(bad.written, 30), reason=t(bad.reason, **args))


def bulk_preview_texts(t: Texts, preview: Preview, shop: str) -> list[str]:
    """The bad lines with their reasons, the codes written differently from the list and the ready
    lines that replace an order's track code (of each, the first few and how many more), then how many
    are ready (the last message carries the button). At most two or three messages: a list that is all
    wrong (a file with other columns) is told in one burst a phone can take, not fourteen."""
    if preview.too_many is not None:
        return [t("bulk-too-many", count=preview.too_many, limit=MAX_LINES)]
    total = len(preview.ready) + len(preview.bad)
    head = t("bulk-preview-head", ready=len(preview.ready), total=total, shop=shop)
    lines = _ready_lines(t, preview.ready)
    if preview.bad:
        lines.append("\n" + t("bulk-preview-bad", count=len(preview.bad)))
    bad = [bad_line_text(t, b) for b in preview.bad[:BAD_LINES_SHOWN]]
    lines += _first_of(t, bad, BAD_LINES_SHOWN, len(preview.bad))
    for head_key, about, line_of in (
        ("bulk-preview-written", [line for line in preview.ready if line.written], _written_line),
        ("bulk-preview-replaces", [line for line in preview.ready if line.replaces], _replaces_line),
    ):
        if about:
            lines.append("\n" + t(head_key, count=len(about)))
            lines += _first_of(
                t, [line_of(t, line) for line in about[:REPLACES_SHOWN]], REPLACES_SHOWN, len(about)
            )
    return messages(head, lines, _preview_tail(t, preview))


def _ready_lines(t: Texts, ready: Sequence[ReadyLine]) -> list[str]:
    """What will go: up to READY_SHOWN lines as «…017 · DPD · RU123456789017» (each order by the
    shortest end of its number that tells the listed ones apart), above that a count per service."""
    if len(ready) <= READY_SHOWN:
        tails = order_tails([line.order_id for line in ready])
        return [
            str(
                t(
                    "bulk-ready-line",
                    order=tails[line.order_id],
                    service=clip(line.service_name, LIST_ITEM_CHARS),
                    code=line.code,
                )
            )
            for line in ready
        ]
    per_service = Counter(line.service_name for line in ready).most_common()
    counted = [
        str(t("bulk-ready-service", service=clip(name, LIST_ITEM_CHARS), count=n))
        for name, n in per_service[:SERVICES_SHOWN]
    ]
    rest = sum(n for _, n in per_service[SERVICES_SHOWN:])
    return counted + ([str(t("bulk-ready-services-more", count=rest))] if rest else [])


def order_tails(order_ids: Sequence[int], shortest: int = 3) -> dict[int, str]:
    """Each order number as its last digits (at least `shortest`), as few as tell these apart: what a
    courier reads off a label and may type back."""
    ids = list(dict.fromkeys(order_ids))
    width = shortest
    while width < max((len(str(i)) for i in ids), default=0):
        if len({str(i)[-width:] for i in ids}) == len(ids):
            break
        width += 1
    return {i: str(i) if len(str(i)) <= width else "…" + str(i)[-width:] for i in ids}


def _first_of(t: Texts, lines: list[str], shown: int, total: int | None = None) -> list[str]:
    """The first `shown` lines of a section, and how many more there are."""
    rest = (len(lines) if total is None else total) - shown
    return lines[:shown] + ([t("bulk-replaces-more", count=rest)] if rest > 0 else [])


def _preview_tail(t: Texts, preview: Preview) -> str:
    """What to do now: press «Отправить все»; or nothing at all, when every line is in the Market or on
    its way there already (the same list sent twice); or fix the lines."""
    reasons = {bad.reason for bad in preview.bad}
    if preview.ready:
        tail: str = t("bulk-preview-send", count=len(preview.ready))
        return tail + (" " + t("bulk-fix-bad") if preview.bad else "")
    if reasons and reasons <= {"bulk-already", "bulk-being-sent"}:
        return t("bulk-all-being-sent" if "bulk-being-sent" in reasons else "bulk-all-already")
    return t("bulk-nothing-ready")


def _written_line(t: Texts, line: ReadyLine) -> str:
    reason = t("bulk-written", written=clip(line.written or "", LIST_ITEM_CHARS), code=line.code)
    return t("bulk-bad-line", line=line.line, written=line.order_id, reason=reason)


def _replaces_line(t: Texts, line: ReadyLine) -> str:
    reason = t("bulk-replaces", code=clip(line.replaces or "", LIST_ITEM_CHARS))
    return t("bulk-bad-line", line=line.line, written=line.order_id, reason=reason)


def bulk_left_out_text(t: Texts, left_out: Sequence[ReadyLine]) -> str:
    """Lines «Отправить все» did not send: their orders got a track code on its way meanwhile."""
    orders = orders_listed(t, [line.order_id for line in left_out])
    return t("bulk-left-out", count=len(left_out), orders=orders)


def batch_progress_text(t: Texts, summary: BatchSummary) -> str:
    return t(
        "bulk-progress",
        size=summary.batch.size,
        done=summary.done,
        failed=summary.failed,
        retrying=summary.retrying,
    )


def _failed_line(t: Texts, op: Operation) -> str:
    failure = Failure.from_json(op.last_error)
    code = op.action.track_code if isinstance(op.action, TrackCode) else ""
    message = failure_message(t, failure) if failure else ""
    return t("bulk-failed-line", id=op.order_id, code=code, message=message)


def batch_report_texts(t: Texts, summary: BatchSummary, failed: list[Operation]) -> list[str]:
    head = t("bulk-report", size=summary.batch.size, done=summary.done, failed=summary.failed)
    if not failed:
        return [head]
    return messages(Safe(head + "\n\n" + t("bulk-report-failed")), [_failed_line(t, op) for op in failed])


def batch_lines_text(
    t: Texts, batch: Batch, lines: list[Operation], services: dict[int, str], page: int
) -> tuple[str, int]:
    """One page of a batch's lines for /history (as many whole lines as fit), and how many pages."""
    chunks = messages("", [history_line(t, op, services) for op in lines], room=200)  # room for the head
    page = min(max(page, 0), len(chunks) - 1)
    head = t(
        "bulk-lines-head", when=_when(batch.created_at), size=batch.size, page=page + 1, pages=len(chunks)
    )
    return head + "\n\n" + chunks[page], len(chunks)


def orders_overview(t: Texts, shop: str, days: list[dt.date | None], today: dt.date) -> str:
    """/orders: how many active orders are overdue, due today, tomorrow, later."""
    if not days:
        return t("orders-overview-none", shop=shop)
    counts = {group: 0 for group in GROUPS}
    for day in days:
        counts[day_group(day, today)] += 1
    lines = [t("orders-overview-head", shop=shop, count=len(days))]
    lines += [t(f"orders-group-{group}", count=n) for group, n in counts.items() if n]
    return "\n".join(lines) + "\n\n" + t("orders-overview-pick")
