"""The text catalogue (Fluent): `bot/locales/<lang>/*.ftl`, Russian by default, English for `en*`.

Fluent refuses to write a value longer than `fluent.runtime.resolver.MAX_PART_LENGTH` (2,500 characters)
into one placeable and gives `{???}` for the whole message instead (its error says "max allowed is
1000": it quotes `Pattern.MAX_PARTS` by mistake). Views bound every list they write into a text
(`bot.telegram.views.bounded`); should a value still be too long, the catalogue logs an error and writes
it shortened rather than show `{???}`.
"""

from __future__ import annotations

import functools
import html
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User
from fluent.runtime import FluentBundle, FluentResource
from fluent.runtime.resolver import MAX_PART_LENGTH
from fluent.runtime.types import FluentInt

logger = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DEFAULT_LANGUAGE = "ru"
LANGUAGES = ("ru", "en")
SHORTENED = MAX_PART_LENGTH // 4  # characters of a value kept when Fluent refused the text
_TAG = re.compile(r"<[^>]*>")
_CUT_ENTITY = re.compile(r"&[#0-9a-zA-Z]*$")


def language_of(language_code: str | None) -> str:
    """Russian unless Telegram says the user's language is English."""
    return "en" if language_code and language_code.lower().startswith("en") else DEFAULT_LANGUAGE


class Catalogue:
    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self._bundles: dict[str, FluentBundle] = {}
        for lang in LANGUAGES:
            bundle = FluentBundle([lang], use_isolating=False)
            for source in sorted((locales_dir / lang).glob("*.ftl")):  # bot.ftl, then one per topic
                bundle.add_resource(FluentResource(source.read_text("utf-8")))
            self._bundles[lang] = bundle
        self._texts = {lang: Texts(self, lang) for lang in LANGUAGES}  # one per language, shared

    @staticmethod
    @functools.cache
    def default() -> Catalogue:
        """The bundled catalogue, parsed once per process."""
        return Catalogue()

    def keys(self, lang: str) -> set[str]:
        return set(self._bundles[lang]._messages)

    def texts(self, language_code: str | None) -> Texts:
        return self._texts[language_of(language_code)]

    def render(self, lang: str, key: str, args: dict[str, Any]) -> str:
        bundle = self._bundles[lang]
        if not bundle.has_message(key):
            if lang != DEFAULT_LANGUAGE:
                return self.render(DEFAULT_LANGUAGE, key, args)
            logger.error("missing text %r", key)
            return key
        message = bundle.get_message(key)
        if message.value is None:
            logger.error("text %r has no value", key)
            return key
        text, errors = bundle.format_pattern(message.value, args)
        for error in errors:
            logger.error("text %r: %s", key, error)
        if any(type(error) is ValueError for error in errors):  # Fluent's guard gave `{???}` for it all
            logger.error("text %r: a value was longer than Fluent takes; written shortened", key)
            text, _ = bundle.format_pattern(message.value, _shortened_values(args))
        return str(text)


def _shortened_values(args: dict[str, Any]) -> dict[str, Any]:
    """The values a text is given, each long one cut well under what Fluent takes in one placeable
    (a selector's variant holds a value and its words), still valid HTML for Telegram: its tags
    dropped (none is left open) and no entity cut in two."""
    shortened = dict(args)
    for name, value in args.items():
        if isinstance(value, str) and len(value) > SHORTENED:
            shortened[name] = _CUT_ENTITY.sub("", _TAG.sub("", value)[:SHORTENED]) + "…"
    return shortened


def _number(value: int) -> FluentInt:
    """An integer as Fluent takes it: a number (so plural selectors work), written without grouping
    (order numbers read `123456789`, not `123 456 789`)."""
    return FluentInt(value, useGrouping=False)


def _value(value: Any, escape: bool) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return _number(value)
    if isinstance(value, Safe) or not escape:
        return str(value)
    return html.escape(str(value), quote=False)


class Safe(str):
    """Text already rendered from the catalogue: passed into another text, it is not escaped again."""

    __slots__ = ()


class Texts:
    """One user's texts. Arguments are HTML-escaped (replies use HTML); integers go in as numbers (for
    plural selectors), never grouped."""

    def __init__(self, catalogue: Catalogue, lang: str) -> None:
        self.catalogue = catalogue
        self.lang = lang

    def __call__(self, key: str, **args: Any) -> Safe:
        values = {name: _value(value, escape=True) for name, value in args.items()}
        return Safe(self.catalogue.render(self.lang, key, values))

    def plain(self, key: str, **args: Any) -> str:
        """For button labels and alerts, which Telegram shows as plain text: nothing is escaped."""
        return self.catalogue.render(self.lang, key, {k: _value(v, escape=False) for k, v in args.items()})


class I18nMiddleware(BaseMiddleware):
    """Puts `t` (the user's `Texts`) into every handler's data."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        data["t"] = self._catalogue.texts(user.language_code if user else None)
        return await handler(event, data)
