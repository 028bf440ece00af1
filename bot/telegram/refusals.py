"""How a refusal reads (`refusal_text`), and `Told`: a step that has shown its own refusal."""

from __future__ import annotations

from bot.domain.errors import Refused
from bot.telegram.i18n import Texts
from bot.telegram.views import failure_text


class Told(Refused):
    """The step has told the user why not in its own way (a card, buttons to pick from); the error
    handler adds nothing. Raised instead of returning None, so a step returns only what it took."""

    def __init__(self) -> None:
        super().__init__("")


def refusal_text(t: Texts, refusal: Refused, prompt: str | None = None, *, plain: bool = False) -> str:
    """The refusal's text, the Market's answer, the hint, then `prompt` (the step's question asked
    again); `plain` for an alert (Telegram shows it unformatted: nothing is escaped)."""
    say = t.plain if plain else t
    parts = [say(refusal.key, **refusal.args_)] if refusal.key else []
    if refusal.failure is not None:
        parts.append(failure_text(t, refusal.failure, read=True))
    if refusal.hint:
        parts.append(say(refusal.hint))
    if prompt:
        parts.append(say(prompt))
    return "\n".join(parts)
