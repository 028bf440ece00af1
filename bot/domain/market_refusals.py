"""The Market's refusals a user can act on, told apart by the error's code or, where the Market gives no
code of its own, by its message. Each becomes a catalogue key with its arguments (a date-change limit's
number comes from the Market's own text); the user reads that line first and the Market's text below."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.domain.operations import Failure

_LIMIT = re.compile(r"limit is:?\s*(\d{1,6})\b", re.IGNORECASE)  # a limit, not any run of digits
_STATUS = re.compile(r"with status ([A-Z_]{1,40}) (?:is not allowed|cannot)", re.IGNORECASE)
_TRACK = re.compile(r"track", re.IGNORECASE)
_TRACK_REFUSED = re.compile(r"invalid|incorrect|not valid|wrong|format|not accepted", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Explained:
    """A refusal in the user's words: `key` names the catalogue text, `args` fill it; `fix` names the
    step that fixes it ("code": another track code, "date": another date), if one does."""

    key: str
    args: dict[str, object] = field(default_factory=dict)
    fix: str | None = None


def explain(failure: Failure) -> Explained | None:
    """What the user can read and do about a refused write, or None when the refusal is not one of
    these (the Market's text is shown alone)."""
    if failure.status == 404:
        return Explained("market-order-not-here")
    if failure.status != 400:
        return None
    code, message = failure.code.upper(), failure.message
    if code == "EDIT_COUNT_EXCEEDED" or "number of edits" in message.lower():
        return Explained("market-date-edits-exceeded", {"limit": _limit(message)})
    if code == "DAYS_COUNT_EXCEEDED" or "number of days" in message.lower():
        return Explained("market-date-days-exceeded", {"limit": _limit(message)}, fix="date")
    if code == "SAME_DELIVERY_DATES":
        return Explained("market-date-same", fix="date")
    if m := _STATUS.search(message):
        return Explained("market-status-not-allowed", {"status": m.group(1).upper()})
    if code == "STATUS_NOT_ALLOWED":
        return Explained("market-status-moved-on")
    if _TRACK.search(code + " " + message) and _TRACK_REFUSED.search(code + " " + message):
        return Explained("market-track-refused", fix="code")
    return None


def _limit(message: str) -> int:
    """The number after "limit is:" in the Market's text; 0 when it gives none."""
    m = _LIMIT.search(message)
    return int(m.group(1)) if m else 0
