"""The catalogue: both languages complete, every key the code uses exists, values escaped."""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from fluent.syntax import FluentParser, ast, visitor

from bot.domain.alerts import Answer, Switch
from bot.domain.bulk import MAX_LINES
from bot.domain.invites import deep_link
from bot.domain.market_data import BusinessOrder, OrderStatus
from bot.domain.operations import AnyAction, Failure, TrackCode
from bot.domain.records import Operation, OperationStatus, Role
from bot.services.bulk import BadLine, Preview, ReadyLine
from bot.telegram import alert_views
from bot.telegram.i18n import LANGUAGES, Catalogue, Safe, Texts, language_of
from bot.telegram.views import (
    HISTORY_MESSAGE_SHOWN,
    LIST_ITEM_CHARS,
    MARKET_MESSAGE_SHOWN,
    MESSAGE_LIMIT,
    bulk_left_out_text,
    bulk_preview_texts,
    clip,
    failure_text,
    history_line,
    human_date,
    order_card,
    orders_listed,
    skipped_list,
    status_text,
)
from tests.fakes.market import business_order, make_order

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue()


def test_languages_have_the_same_keys(catalogue: Catalogue) -> None:
    assert catalogue.keys("ru") == catalogue.keys("en")


def test_every_key_used_in_code_exists(catalogue: Catalogue) -> None:
    source = "\n".join(p.read_text() for d in ("bot", "handlers") for p in (ROOT / d).rglob("*.py"))
    used = set(re.findall(r'\bt\("([a-z0-9-]+)"', source))
    used |= set(re.findall(r'InputError\("([a-z0-9-]+)"\)', source))
    used |= set(re.findall(r'"([a-z]+(?:-[a-z0-9]+)+)"', source)) & catalogue.keys("ru")
    used |= {f"status-{s.value}" for s in OrderStatus} | {f"weekday-{n}" for n in range(7)}
    used |= {f"team-member-{r.value}" for r in Role} | {f"role-{r.value}" for r in Role}
    used |= {f"answer-{a.value}" for a in Answer}
    used |= {f"alerts-{s.value}" for s in Switch} | {f"button-alerts-{s.value}" for s in Switch}
    assert used - catalogue.keys("ru") == set()
    assert len(used) > 80


@pytest.mark.parametrize(
    ("code", "lang"), [("en", "en"), ("en-GB", "en"), ("ru", "ru"), ("uk", "ru"), (None, "ru")]
)
def test_language_choice(code: str | None, lang: str) -> None:
    assert language_of(code) == lang


def test_values_are_escaped_once_and_ids_not_grouped(catalogue: Catalogue) -> None:
    t = catalogue.texts("ru")
    text = t("track-confirm", id=9_007_199_254_740_993, service="A&B", code="<script>")
    assert "9007199254740993" in text and "&lt;script&gt;" in text and "A&amp;B" in text
    nested = t("history-line", when="1", id=2, what=t("history-track", code="<x>", service="S"), result="ok")
    assert "&lt;x&gt;" in nested and "&amp;lt;" not in nested


# --- every text with the longest arguments it can get -----------------------------------------------

ID = 9_223_372_036_854_775_807  # the longest order number (19 digits)
IDS = [ID - n for n in range(500)]  # a list of 500 orders (a bulk send's limit)
SHOP = ".".join(["a" * 63] * 4)[:253]  # a shop is titled by its domain: the longest a domain gets
NAME = "&" * 64 + " " + "<" * 64 + " (@" + "u" * 32 + ")"  # Telegram's longest full name and username
CODE = "&" * 64  # a track code's limit, in characters that grow most when escaped
SERVICE = "&" * 255
MARKET_MESSAGE = ("Очень длинное объяснение Маркета & <причина> " * 100)[:4000]
DAY = dt.date(2026, 12, 31)
NOW = dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC)


def _operation(action: AnyAction, status: OperationStatus = OperationStatus.FAILED) -> Operation:
    failure = Failure(400, "BAD_REQUEST", MARKET_MESSAGE)
    return Operation(
        id=1,
        user_id=1,
        shop_id=1,
        order_id=ID,
        action=action,
        status=status,
        attempts=9,
        last_error=failure.to_json(),
        idempotency_key=None,
        next_attempt_at=None,
        created_at=NOW,
        updated_at=NOW,
    )


def _order() -> BusinessOrder:
    raw = business_order(1001, make_order(ID, items=[("&" * 256, 999_999)] * 30))
    raw["status"] = "SOME_NEW_STATUS_THE_BOT_DOES_NOT_KNOW"
    raw["delivery"]["courier"]["address"] = {f: "&" * 255 for f in ("city", "street", "house", "block")}
    raw["delivery"]["tracks"] = [{"trackCode": CODE, "deliveryServiceId": 51}] * 5
    return BusinessOrder.model_validate(raw)


def longest_arguments(t: Texts) -> dict[str, dict[str, Any]]:
    """Each text that takes arguments → the longest the bot gives it, built as the views build them."""
    status = status_text(t, "SOME_NEW_STATUS_THE_BOT_DOES_NOT_KNOW")
    date = human_date(t, DAY)
    orders = orders_listed(t, IDS)
    failed = _operation(TrackCode(track_code=CODE, delivery_service_id=51))
    line = history_line(t, failed, {51: SERVICE}, NAME)
    duration = alert_views.duration(t, dt.timedelta(hours=48))
    answer = t.plain("answer-ORDER_IN_DELIVERY")
    address = clip(", ".join(["&" * 255] * 4), 200)
    big = {"count": 10**9}
    return {
        "list-order": {"id": ID},
        "list-more": big,
        "list-more-orders": {"count": 499},
        "track-cyrillic": {"letters": ", ".join("Ж" * 64)},
        "track-formula": {"char": "="},
        "track-scientific": {"shown": "&" * 72},
        "track-already-on-its-way": {"id": ID},
        "track-other-being-sent": {"id": ID, "code": CODE},
        "order-card-title": {"id": ID},
        "order-card-status": {"status": status},
        "order-card-delivery": {"date": Safe(f"{date} — {date}")},
        "order-card-item": {"name": "&" * 256, "count": 999_999},
        "order-card-more-items": big,
        "order-card-track": {"code": CODE, "service": SERVICE},
        "order-not-found": {"id": ID},
        "order-in-other-shop": {"id": ID, "shop": SHOP, "here": SHOP},
        "button-switch-shop": {"shop": SHOP},
        "date-same": {"date": "31.12.2026"},
        "track-ask-order": {"shop": SHOP},
        "orders-tail-none": {"tail": "123456"},
        "orders-tail-several": {"tail": "123456"},
        "track-status-not-allowed": {"status": status},
        "track-ask-code": {"service": SERVICE},
        "track-confirm": {"id": ID, "service": SERVICE, "code": CODE},
        "track-replaces": {"code": CODE},
        "track-written-as": {"typed": "&" * 72},  # a code's 64 and what parsing drops
        "date-ask-order": {"shop": SHOP},
        "date-status-not-allowed": {"status": status},
        "date-ask-reason": {"date": date},
        "date-confirm": {"id": ID, "date": date, "reason": t("reason-shop")},
        "result-track-ok": {"id": ID, "code": CODE, "service": SERVICE},
        "result-date-ok": {"id": ID, "date": date},
        "result-already-done": {"id": ID},
        "result-failed-order": {"id": ID},
        "result-not-sent": {"reason": t("failure-key-unreadable")},
        "result-not-read": {"reason": t("failure-key-unreadable")},
        "result-failed-reason": {"message": clip(MARKET_MESSAGE, MARKET_MESSAGE_SHOWN), "code": "X" * 64},
        "settings-connected": {"shop": SHOP},
        "settings-key-refused": {"message": MARKET_MESSAGE[:300]},
        "settings-campaign-taken": {"shop": SHOP},
        "shop-connect-attempt": {"name": NAME, "shop": SHOP},
        "shop-active": {"shop": SHOP},
        "history-head": {"shop": SHOP},
        "history-empty": {"shop": SHOP},
        "history-line": {
            "when": "31.12 23:59",
            "id": ID,
            "what": t("history-track", code=CODE, service=SERVICE),
            "result": t("history-failed", message=clip(MARKET_MESSAGE, HISTORY_MESSAGE_SHOWN)),
        },
        "history-track": {"code": CODE, "service": SERVICE},
        "history-date": {"date": "31.12.2026"},
        "history-failed": {"message": clip(MARKET_MESSAGE, HISTORY_MESSAGE_SHOWN)},
        "history-more": big,
        "result-queued": {"id": ID},
        "flood-skipped": {"count": 10**6, "list": skipped_list(t, [clip("&" * 4096, 40)] * 10**4)},
        "team-owner-only": {"shop": SHOP},
        "team-head": {"shop": SHOP},
        "team-member-owner": {"name": NAME},
        "team-member-courier": {"name": NAME},
        "team-button-remove": {"name": NAME},
        "team-invite": {"shop": SHOP, "link": deep_link("b" * 32, "T" * 43), "hours": 10**6},
        "team-invite-share-text": {"shop": SHOP},
        "market-date-edits-exceeded": {"limit": 10**9},
        "market-date-days-exceeded": {"limit": 10**9},
        "market-status-not-allowed": {"status": status},
        "team-remove-ask": {"name": NAME, "shop": SHOP},
        "team-remove-yes": {"name": NAME},
        "team-removed": {"name": NAME},
        "team-you-were-removed": {"shop": SHOP},
        "team-ops-cancelled": {"orders": orders, "count": len(IDS)},
        "team-invites-open": {"count": 10**6, "until": "31.12 23:59"},
        "team-invites-revoked": big,
        "date-couriers-off": {"shop": SHOP},
        "team-button-promote": {"name": NAME},
        "team-promote-ask": {"name": NAME, "shop": SHOP},
        "team-promote-yes": {"name": NAME},
        "team-handed-over": {"name": NAME, "shop": SHOP},
        "team-you-are-owner": {"name": NAME, "shop": SHOP},
        "team-rekey": {"shop": SHOP},
        "team-disconnect-ask": {"shop": SHOP, "pending": 10**6},
        "team-disconnected": {"shop": SHOP},
        "team-disconnected-own-ops": {"orders": orders, "count": len(IDS)},
        "team-shop-disconnected": {"shop": SHOP},
        "team-shop-disconnected-ops": {"shop": SHOP, "orders": orders, "count": len(IDS)},
        "team-courier-joined": {"name": NAME, "shop": SHOP},
        "invite-joined": {"shop": SHOP},
        "invite-already-member": {"shop": SHOP},
        "settings-courier": {"shop": SHOP},
        "history-head-team": {"shop": SHOP},
        "history-who": {"name": NAME},
        "owner-notice": {"name": NAME, "shop": SHOP, "line": line},
        "scan-read": {"code": CODE},
        "scan-several": big,
        "button-send-all": {"count": MAX_LINES},
        "button-batch": {"when": "31.12 23:59", "size": MAX_LINES},
        "bulk-preview-head": {"ready": MAX_LINES, "total": MAX_LINES, "shop": SHOP},
        "bulk-ready-line": {"order": f"…{ID}", "service": SERVICE, "code": CODE},
        "bulk-ready-service": {"service": SERVICE, "count": MAX_LINES},
        "bulk-ready-services-more": {"count": MAX_LINES},
        "bulk-preview-bad": {"count": MAX_LINES},
        "bulk-bad-line": {
            "line": 10**6,
            "written": clip("&" * 4096, 30),
            "reason": t("bulk-status", id=ID, status=status),
        },
        "bulk-preview-send": {"count": MAX_LINES},
        "bulk-too-many": {"count": 10**6, "limit": MAX_LINES},
        "bulk-repeated": {"line": 10**6},
        "bulk-not-found": {"id": ID},
        "bulk-status": {"id": ID, "status": status},
        "bulk-service-unknown": {"service": clip("&" * 4096, LIST_ITEM_CHARS)},  # as bad_line_text clips it
        "bulk-service-several": {"service": clip("&" * 4096, LIST_ITEM_CHARS)},
        "bulk-service-missing": {"id": ID},
        "bulk-already": {"id": ID},
        "bulk-being-sent": {"id": ID},
        "bulk-other-being-sent": {"id": ID, "code": CODE},
        "bulk-preview-replaces": {"count": MAX_LINES},
        "bulk-replaces": {"code": CODE},
        "bulk-preview-written": {"count": MAX_LINES},
        "bulk-written": {"written": clip("&" * 4096, LIST_ITEM_CHARS), "code": CODE},
        "bulk-replaces-more": {"count": MAX_LINES},
        "bulk-left-out": {"count": MAX_LINES, "orders": orders},
        "bulk-started": {"size": MAX_LINES},
        "bulk-progress": {"size": MAX_LINES, "done": MAX_LINES, "failed": MAX_LINES, "retrying": MAX_LINES},
        "bulk-report": {"size": MAX_LINES, "done": MAX_LINES, "failed": MAX_LINES},
        "bulk-failed-line": {"id": ID, "code": CODE, "message": clip(MARKET_MESSAGE, HISTORY_MESSAGE_SHOWN)},
        "bulk-lines-head": {"when": "31.12 23:59", "size": MAX_LINES, "page": MAX_LINES, "pages": MAX_LINES},
        "history-batch": {
            "when": "31.12 23:59",
            "size": MAX_LINES,
            "done": MAX_LINES,
            "failed": MAX_LINES,
            "waiting": MAX_LINES,
        },
        "bulk-owner-notice": {
            "name": NAME,
            "shop": SHOP,
            "size": MAX_LINES,
            "done": MAX_LINES,
            "failed": MAX_LINES,
        },
        "order-ask": {"shop": SHOP},
        "order-no-actions": {"status": status},
        "delivered-ask-day": {"id": ID},
        "status-confirm": {"id": ID, "status": status},
        "status-confirm-on": {"date": date},
        "result-status-ok": {"id": ID, "status": status},
        "result-status-on": {"date": date},
        "history-status": {"status": status},
        "buyer-contact": {
            "name": clip("&" * 4096, 200),
            "phone": clip("&" * 4096, 50),
        },  # as buyer_text clips them
        "orders-overview-head": {"shop": SHOP, "count": 10**6},
        "orders-overview-none": {"shop": SHOP},
        "orders-group-overdue": big,
        "orders-group-today": big,
        "orders-group-tomorrow": big,
        "orders-group-later": big,
        "button-next": {"step": status},
        "order-card-courier": {"address": address},
        "order-card-pickup": {"address": address},
        "order-card-apartment": {"number": "&" * 255},
        "duration": {"hours": 10**6, "minutes": 59},
        "alert-shop": {"shop": SHOP},
        "alert-order-facts": {"status": status, "day": date, "items": 10**6},
        "alert-cancel-head": {"id": ID},
        "alert-accept-ask": {"id": ID},
        "alert-reminder-head": {"id": ID, "left": duration},
        "alert-cancel-requested": {"when": "31.12 23:59"},
        "alert-cancel-when": {"when": "31.12 23:59", "left": duration, "deadline": "31.12 23:59"},
        "alert-answered": {"name": NAME, "answer": answer},
        "alert-taken": {"name": NAME, "answer": answer},
        "result-answer-ok": {"id": ID, "answer": answer},
        "history-answer": {"answer": answer},
        "alert-new-order": {"id": ID, "shop": SHOP, "items": 10**6, "day": date},
        "alert-digest-head": {"shop": SHOP, "date": date},
        "alert-digest-overdue": big,
        "alert-digest-today": big,
        "alert-digest-line": {"id": ID, "day": date},
        "alert-digest-unlisted": big,
        "alert-digest-more": big,
        "button-alert-move": {"id": str(ID)[-6:], "day": "31.12"},
        "alerts-cancel": {"state": t("alerts-off")},
        "alerts-new": {"state": t("alerts-off")},
        "alerts-digest": {"state": t("alerts-off")},
        "alerts-chat": {"state": t("alerts-off")},
        "button-alerts-cancel": {"state": t.plain("alerts-off")},
        "button-alerts-new": {"state": t.plain("alerts-off")},
        "button-alerts-digest": {"state": t.plain("alerts-off")},
        "button-alerts-chat": {"state": t.plain("alerts-off")},
        # buyers' chats: a buyer's first name is cut to 32 characters, a file's name to 100
        "chat-from-buyer": {"name": "&" * 32},
        "chat-head": {"who": t.plain("chat-from-buyer", name="&" * 32)},
        "chat-order": {"id": ID},
        "chat-order-status": {"id": ID, "status": status},
        "chat-order-status-day": {"id": ID, "status": status, "day": date},
        "chat-file": {"name": "&" * 100},
        "chat-file-not-read": {"name": "&" * 100},
        "button-chat-answered": {"name": NAME[:40]},
        "chat-reply-prompt": {"id": ID},
        "chat-sent": {"id": ID},
        "chat-file-sent": {"id": ID},
        "chat-file-and-caption-sent": {"id": ID},
        "chat-follow-up-ask": {"id": ID, "text": "&" * 300},
        "chat-follow-up-ask-direct": {"text": "&" * 300},
        "button-follow-up-send": {"id": ID},
        "chat-unreadable": {"id": ID},
        "chat-files-more": big,
        "chat-too-long": {"count": 10**6, "limit": 4096},
        "chats-none": {"shop": SHOP},
        "chats-head": {"shop": SHOP, "count": 10**4},
        "chats-order": {"id": ID},
        "chats-line": {
            "n": 10,
            "what": t.plain("chats-order", id=ID),
            "name": "&" * 32,
            "waited": "99 ч 59 мин",
        },
        "chats-more": big,
        "chat-waited-minutes": {"minutes": 59},
        "chat-waited-hours": {"hours": 47, "minutes": 59},
        "chat-waited-days": {"days": 10**4},
        "chat-log-head": {"what": t.plain("chats-order", id=ID)},
        "chat-log-line": {"when": "31.12 23:59", "who": "&" * 60, "files": 10},
    }


def variables(lang: str) -> dict[str, set[str]]:
    """Each text of a language and the arguments it takes."""

    class Found(visitor.Visitor):
        def __init__(self) -> None:
            super().__init__()
            self.names: set[str] = set()

        def visit_VariableReference(self, node: ast.VariableReference) -> None:
            self.names.add(node.id.name)

    entries = [
        entry
        for path in sorted((ROOT / "bot/telegram/locales" / lang).glob("*.ftl"))
        for entry in FluentParser().parse(path.read_text("utf-8")).body
    ]
    found: dict[str, set[str]] = {}
    for entry in entries:
        if isinstance(entry, ast.Message):
            names = Found()
            names.visit(entry)
            found[entry.id.name] = names.names
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_with_its_longest_arguments_renders_whole_and_fits_a_message(
    catalogue: Catalogue, lang: str, caplog: pytest.LogCaptureFixture
) -> None:
    t = catalogue.texts(lang)
    table = longest_arguments(t)
    takes = variables(lang)
    missing = {key for key, names in takes.items() if names and key not in table}
    assert missing == set(), "new texts with arguments: add them to longest_arguments"
    assert set(table) - set(takes) == set(), "texts no longer in the catalogue: drop them from the table"
    for key, names in takes.items():
        args = table.get(key, {})
        assert set(args) == names, f"{key} takes {names}"
        text = t(key, **args)
        assert "{???}" not in text and "{$" not in text, key
        assert len(text) <= MESSAGE_LIMIT, f"{key}: {len(text)} characters"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_views_keep_the_longest_data_within_a_message(catalogue: Catalogue, lang: str) -> None:
    t = catalogue.texts(lang)
    order = _order()
    card = order_card(t, order, {51: SERVICE})
    failure = failure_text(t, Failure(400, "X" * 64, MARKET_MESSAGE))
    ready = [ReadyLine(n, ID - n, CODE, 51, SERVICE, replaces=CODE) for n in range(1, 251)]
    bad = [BadLine(n, "&" * 4096, "bulk-service-unknown", {"service": "&" * 4096}) for n in range(251, 501)]
    preview = bulk_preview_texts(t, Preview(ready, bad), SHOP)
    left_out = bulk_left_out_text(t, ready)
    for text in [card, failure, left_out, *preview]:
        assert "{???}" not in text and len(text) <= MESSAGE_LIMIT


def test_a_text_given_a_value_fluent_refuses_is_shortened_and_logged(
    catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    t = catalogue.texts("ru")
    listed = Safe(", ".join(f"<code>№{n}</code> &amp;" for n in IDS))  # a list no view bounded
    text = t("team-ops-cancelled", orders=listed, count=len(IDS))
    assert "{???}" not in text and text.startswith("Неотправленные операции курьера отменены")
    assert "<code>" not in text and "№9223372036854775807 &amp;" in text and text.endswith("….")
    assert "team-ops-cancelled" in caplog.text and "shortened" in caplog.text


def test_a_refusal_naming_a_huge_unknown_status_is_shortened(
    catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    failure = Failure(400, "BAD_REQUEST", f"Order 1 with status {'A' * 6000} is not allowed")
    text = failure_text(catalogue.texts("ru"), failure)
    assert len(text) < 1200 and text.count("A") <= 600
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_read_the_market_did_not_answer_is_not_called_a_send(catalogue: Catalogue) -> None:
    t = catalogue.texts("ru")
    read = failure_text(t, Failure(None, "TIMEOUT", "timed out"), read=True)
    assert read.startswith("⚠️ Не получилось узнать у Маркета: Маркет не ответил вовремя")
    assert "Не отправлено" not in read and "Не отправлено" in failure_text(t, Failure(None, "TIMEOUT", ""))
