"""The text catalogue (Fluent): `bot/locales/<lang>/bot.ftl`, Russian by default, English for `en*`."""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User
from fluent.runtime import FluentBundle, FluentResource

logger = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DEFAULT_LANGUAGE = "ru"
LANGUAGES = ("ru", "en")


def language_of(language_code: str | None) -> str:
    """Russian unless Telegram says the user's language is English."""
    return "en" if language_code and language_code.lower().startswith("en") else DEFAULT_LANGUAGE


class Catalogue:
    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self._bundles: dict[str, FluentBundle] = {}
        for lang in LANGUAGES:
            bundle = FluentBundle([lang], use_isolating=False)
            source = (locales_dir / lang / "bot.ftl").read_text("utf-8")
            bundle.add_resource(FluentResource(source))
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
        return str(text)


class Safe(str):
    """Text already rendered from the catalogue: passed into another text, it is not escaped again."""

    __slots__ = ()


class Texts:
    """One user's texts. Arguments are HTML-escaped (replies use HTML) and ids are never grouped."""

    def __init__(self, catalogue: Catalogue, lang: str) -> None:
        self.catalogue = catalogue
        self.lang = lang

    def __call__(self, key: str, **args: Any) -> Safe:
        values = {
            name: value if isinstance(value, Safe) else html.escape(str(value), quote=False)
            for name, value in args.items()
        }
        return Safe(self.catalogue.render(self.lang, key, values))

    def plain(self, key: str, **args: Any) -> str:
        """For button labels and alerts, which Telegram shows as plain text: nothing is escaped."""
        return self.catalogue.render(self.lang, key, {k: str(v) for k, v in args.items()})


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
