"""The text catalogue: every user-facing string, in Russian (default) and English."""

from __future__ import annotations

from typing import Any

DEFAULT_LANGUAGE = "ru"

CATALOGUE: dict[str, dict[str, str]] = {
    "ru": {
        "start": (
            "Привет! Я помогаю продавцам Яндекс Маркета, которые доставляют заказы сами (DBS).\n"
            "Курьер отправляет трек-номер посылки, владелец магазина переносит дату доставки."
        ),
    },
    "en": {
        "start": (
            "Hi! I help Yandex Market sellers who deliver their own orders (DBS).\n"
            "Couriers send a parcel's track code; the shop owner moves a delivery date."
        ),
    },
}


def language_of(language_code: str | None) -> str:
    """Russian unless Telegram says the user's language is English."""
    return "en" if language_code and language_code.lower().startswith("en") else DEFAULT_LANGUAGE


def t(key: str, language_code: str | None = None, **values: Any) -> str:
    text = CATALOGUE[language_of(language_code)].get(key) or CATALOGUE[DEFAULT_LANGUAGE][key]
    return text.format(**values) if values else text
