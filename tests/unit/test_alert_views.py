"""Alert texts and buttons fit Telegram's limits however big the ids and however long the lists."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.alerts import Alert, AlertKind, DigestLine, Facts
from bot.domain.records import Shop
from bot.telegram.alert_views import alert_keyboard, alert_text
from bot.telegram.i18n import Catalogue
from bot.telegram.views import MESSAGE_LIMIT

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
SHOP = Shop(
    id=10**6,
    campaign_id=10**10,
    domain="очень-длинное-название-магазина." * 8,
    business_id=1,
    business_name=None,
    placement_type="DBS",
    owner_id=1,
)
BIG_ORDER = 10**15


def alert(kind: AlertKind, facts: Facts, **more: object) -> Alert:
    return Alert.model_validate(
        {
            "id": 10**9,
            "shop_id": SHOP.id,
            "order_id": BIG_ORDER,
            "kind": kind,
            "facts": facts,
            "created_at": NOW,
            **more,
        }
    )


@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("kind", list(AlertKind))
def test_every_alert_fits_and_its_buttons_carry_at_most_64_bytes(lang: str, kind: AlertKind) -> None:
    t = Catalogue.default().texts(lang)
    lines = [DigestLine(order_id=BIG_ORDER + n, day=dt.date(2026, 11, 1)) for n in range(600)]
    facts = Facts(
        status="SOME_NEW_STATUS_THE_BOT_DOES_NOT_KNOW",
        day=dt.date(2026, 12, 3),
        items=10**6,
        requested_at=NOW - dt.timedelta(hours=40),
        overdue=lines[:300],
        today=lines[300:],
    )
    shown = alert(kind, facts)
    text = alert_text(t, shown, SHOP, NOW)
    assert len(text) <= MESSAGE_LIMIT and not text.endswith("…")  # never cut blindly
    if kind is AlertKind.DIGEST:
        assert ("540" in text) and "/orders" in text, "the orders not listed are counted"
    keyboard = alert_keyboard(t, shown)
    assert keyboard is not None
    buttons = [b for row in keyboard.inline_keyboard for b in row]
    assert 0 < len(buttons) <= 21
    assert all(b.callback_data and len(b.callback_data.encode()) <= 64 for b in buttons)
    assert all(len(b.text) <= 64 for b in buttons)


def test_an_answered_request_shows_who_and_no_time_left() -> None:
    t = Catalogue.default().texts("ru")
    request = alert(
        AlertKind.CANCEL,
        Facts(status="DELIVERY", requested_at=NOW - dt.timedelta(hours=3)),
        answered_by=7,
        answer="ORDER_DELIVERED",
        answered_at=NOW,
    )
    text = alert_text(t, request, SHOP, NOW, settled=request, who="Курьер <Пётр>")
    assert "Ответил(а) Курьер &lt;Пётр&gt;: «Уже доставлен»" in text
    assert "через" not in text and "Что ответить" not in text
