"""Small pure functions that turn what a person typed into values, or say what is wrong."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import urllib.parse
from collections.abc import Iterable, Sequence

from bot.domain.errors import Refused
from bot.domain.records import DeliveryServiceRef

INT64_MAX = 2**63 - 1
TRACK_CODE_MAX = 64


class InputError(Refused, ValueError):
    """The text cannot be used; `key` names the catalogue message that says why, `args_` fill it. The
    step asks again."""

    again = True


_ORDER_ID = re.compile(r"[#№]?\s*([0-9]{1,3}(?:\s[0-9]{3})+|[0-9]+)")
_ZERO_LIKE = str.maketrans("OoОо", "0000")
_SEVERAL = re.compile(r"[#№]?\s*[0-9]+(?:[\s,;]+[#№]?[0-9]+)+")


def parse_order_id(text: str | None) -> int:
    """One order number: digits only, 1 to 2**63-1; a leading '#' or '№' and thousands grouping
    (`1 234 567`) are tolerated; two numbers (`42 43`) are refused, never glued together."""
    if text is None:
        raise InputError("order-id-not-text")
    value_text = " ".join(text.split())
    if any(c.isdigit() for c in value_text):  # the letter O typed for a zero (Latin or Cyrillic)
        value_text = value_text.translate(_ZERO_LIKE)
    if not value_text:
        raise InputError("order-id-empty")
    if value_text.startswith("-") and value_text[1:].isdigit():
        raise InputError("order-id-range")
    match = _ORDER_ID.fullmatch(value_text)
    if match is None:
        raise InputError("order-id-several" if _SEVERAL.fullmatch(value_text) else "order-id-digits")
    digits = match.group(1).replace(" ", "").lstrip("0") or "0"
    if len(digits) > len(str(INT64_MAX)):  # a cell of a file may hold thousands (int() refuses)
        raise InputError("order-id-range")
    value = int(digits)
    if value < 1 or value > INT64_MAX:
        raise InputError("order-id-range")
    return value


# Cyrillic letters drawn like Latin ones: `ВВ-000123` typed on a Russian layout is `BB-000123`.
_LOOK_ALIKES = str.maketrans("АВЕКМНОРСТУХавекмнорстух", "ABEKMHOPCTYXabekmhopctyx")
# What a spreadsheet takes for a formula (`=HYPERLINK(…)`): codes are pasted into tables and back.
_FORMULA_STARTS = ("=", "+", "-", "@")
# How a spreadsheet keeps a number as text: `="1234567890"`, or a leading apostrophe.
_AS_TEXT = re.compile(r'="([^"]*)"')
# A code printed in groups for the eye (`RA 1234 5678 9RU`, `1234 5678 90`): each group is short. Two
# long parts (`77003 1234567890`: an order's number and a code, or a word and a code) are no one code.
_GROUP = re.compile(r"[A-Za-z0-9-]{1,5}")
_UPU = re.compile(r"[A-Z]{2}[0-9]{9}[A-Z]{2}")  # the Universal Postal Union's form, `RA123456789RU`
# A long number as a spreadsheet shows it (`8,00812E+13`): its last digits are gone.
_SCIENTIFIC = re.compile(r"[0-9]+(?:[.,][0-9]+[eE][+-]?|[eE][+-])[0-9]+")


def parse_track_code(text: str | None) -> str:
    """A track code as the Market should get it: 1-64 printable characters after NFKC normalisation
    and trimming (no control or zero-width ones), not starting like a spreadsheet formula.

    Written the way people and spreadsheets write it, it is taken in the one way it can mean: a leading
    `№` or `#` is dropped, as is a spreadsheet's text marking (`'123`, `="123"`); spaces between
    short groups are closed up (`RA 1234 5678 9RU`); Cyrillic letters that look like Latin ones are taken
    as Latin (`ВВ-000123` is `BB-000123`: the Market would keep the Cyrillic one, and no carrier finds
    it); the UPU form is upper-cased. What could mean two things is refused, saying why: other Cyrillic
    letters (named) and any other that is not ASCII (Greek look-alikes, Arabic-Indic digits, blanks that
    show as nothing), two long parts (`77003 1234567890`), a formula, a number a spreadsheet showed
    as `8,00812E+13` (its last digits lost). Whoever shows the result says when it differs from what
    was typed (`written_differently`)."""
    if text is None:
        raise InputError("track-not-text")
    code = unicodedata.normalize("NFKC", text.strip().lstrip("№#")).strip()
    if not code:
        raise InputError("track-empty")
    if len(code) > TRACK_CODE_MAX + 8:  # room for what is dropped below
        raise InputError("track-too-long")
    if not code.isprintable():
        raise InputError("track-unprintable")
    as_text = _AS_TEXT.fullmatch(code)
    code = (as_text.group(1) if as_text else code.removeprefix("'")).strip()
    if not code:
        raise InputError("track-empty")
    if code.startswith(_FORMULA_STARTS):
        raise InputError("track-formula", char=code[0])
    if _SCIENTIFIC.fullmatch(code):
        raise InputError("track-scientific", shown=code)
    code = code.translate(_LOOK_ALIKES)
    parts = code.split()
    if len(parts) > 1:
        joined = "".join(parts)
        if not (_UPU.fullmatch(joined.upper()) or all(_GROUP.fullmatch(p) for p in parts)):
            raise InputError("track-spaces")
        code = joined
    cyrillic = sorted({c for c in code if c.isalpha() and unicodedata.name(c, "").startswith("CYRILLIC")})
    if cyrillic:
        raise InputError("track-cyrillic", letters=", ".join(cyrillic))
    if not code.isascii():  # Greek look-alikes, other scripts' digits, blanks that show as nothing
        raise InputError("track-not-latin")
    if len(code) > TRACK_CODE_MAX:
        raise InputError("track-too-long")
    return code.upper() if _UPU.fullmatch(code.upper()) else code


def written_differently(typed: str, code: str) -> bool:
    """The code the bot took is not what the user wrote (beyond trimming): the card says so."""
    return " ".join(typed.split()) != code


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})")
_DM = re.compile(r"(\d{1,2})[./](\d{1,2})")
_DAY_MONTH = re.compile(r"(\d{1,2})\s*([^\W\d_]{3,})\.?", re.IGNORECASE)
_MONTH_DAY = re.compile(r"([^\W\d_]{3,})\.?\s*(\d{1,2})(?:st|nd|rd|th)?", re.IGNORECASE)
# A month by the first three letters of its name, in Russian (any case: «декабря», «дек») and English.
_RU_MONTHS = ("янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек")
_EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {stem: n for months in (_RU_MONTHS, _EN_MONTHS) for n, stem in enumerate(months, 1)}
_MONTHS |= {"мая": 5, "мае": 5}


# Words for a day near today, in the languages the bot speaks: days from today.
DAY_WORDS = {"сегодня": 0, "завтра": 1, "послезавтра": 2, "today": 0, "tomorrow": 1}
RECENT_MONTHS = 2  # a DD.MM that fell this long ago at most is the past, not next year's


def parse_date(text: str | None, today: dt.date) -> dt.date:
    """YYYY-MM-DD, DD.MM.YYYY, DD.MM or a word (сегодня, завтра, послезавтра); never before today.

    DD.MM is the nearest such day: one that fell in the last two months is the past (on 2 December
    «01.12» is yesterday, not next year's), any other the coming one (on 30 December «05.01» is next
    January)."""
    if text is None:
        raise InputError("date-not-text")
    value = text.strip()
    word = value.lower().rstrip(".!")
    if word in DAY_WORDS:
        return today + dt.timedelta(days=DAY_WORDS[word])
    try:
        if m := _ISO.fullmatch(value):
            day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        elif m := _DMY.fullmatch(value):
            day = dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        elif m := _DM.fullmatch(value):
            day = _nearest_day_month(int(m.group(1)), int(m.group(2)), today)
        elif (m := _DAY_MONTH.fullmatch(value)) and (month := _month(m.group(2))):
            day = _nearest_day_month(int(m.group(1)), month, today)
        elif (m := _MONTH_DAY.fullmatch(value)) and (month := _month(m.group(1))):
            day = _nearest_day_month(int(m.group(2)), month, today)
        else:
            raise InputError("date-format")
    except ValueError as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError("date-impossible") from None
    if day < today:
        raise InputError("date-past")
    return day


def _month(word: str) -> int | None:
    """The month a word names («декабря», «дек», «December», «Dec»), or None."""
    return _MONTHS.get(word.casefold()[:3])


def _nearest_day_month(day: int, month: int, today: dt.date) -> dt.date:
    """The last time this day and month fell, if that was within RECENT_MONTHS (the past: refused
    by the caller), otherwise the next time they fall (today included)."""
    dt.date(2000, month, day)  # a leap year: raises ValueError if no year has this date
    years = range(today.year - 8, today.year + 9)
    days = [d for d in (_date_or_none(year, month, day) for year in years) if d is not None]
    coming = min(d for d in days if d >= today)
    last = max((d for d in days if d < today), default=None)
    if last is not None and last >= _months_before(today, RECENT_MONTHS):
        return last
    return coming


def _date_or_none(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:  # 29.02 in a year that is not leap
        return None


def _months_before(today: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (the month's last day if it is shorter)."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    for day in range(today.day, 27, -1):
        if (found := _date_or_none(year, month + 1, day)) is not None:
            return found
    return dt.date(year, month + 1, min(today.day, 28))


def parse_api_key(text: str | None) -> str:
    """An API key as pasted: trimmed, one token of printable ASCII (it travels in an HTTP header)."""
    if text is None:
        raise InputError("key-not-text")
    key = text.strip()
    if not key or len(key) > 512 or not key.isascii() or not key.isprintable() or " " in key:
        raise InputError("key-shape")
    return key


KEY_LIKE = re.compile(r"[!-~]{12,}")  # a run of printable ASCII as long as a part of a key may be


def might_hold_a_key(text: str | None) -> bool:
    """Whether a message might carry an API key, even one pasted wrongly (with a space, a line break,
    a word around it): such a message is deleted from the chat. A question typed instead is not."""
    return bool(text and KEY_LIKE.search(text))


KEY_PART = 8  # a part of a key at least this long is secret enough to look for
INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2060\ufeff]+")
LOOKALIKES = str.maketrans("АСМаСсмВЕКНОРТХвекнортх", "ACMaCcmBEKHOPTXBEKHOPTX")  # Cyrillic drawn as Latin
MARKET_KEY = re.compile(r"ACMA:[A-Za-z0-9_\-+/=]{8,}", re.IGNORECASE)  # how the Market's keys begin


def _flat(text: str) -> str:
    """A text as a key would be found in it: decoded (%3A), NFKC (full-width letters and colons), with
    no spaces, line breaks or invisible characters, Cyrillic letters drawn like Latin ones as Latin."""
    return INVISIBLE.sub("", unicodedata.normalize("NFKC", urllib.parse.unquote(text))).translate(LOOKALIKES)


def looks_like_market_key(text: str | None) -> bool:
    """Whether a message carries what looks like one of the Market's API keys (never to go to a buyer),
    however it was pasted."""
    return bool(text and MARKET_KEY.search(_flat(text)))


def holds_key(text: str | None, api_key: str) -> bool:
    """Whether `text` carries a secret part of `api_key` in any form (a part between its colons is
    what a phone selects when it is copied)."""
    if not text:
        return False
    flat = _flat(text)
    parts = [part for part in api_key.split(":") if len(part) >= KEY_PART and part.upper() != "ACMA"]
    return any(part.translate(LOOKALIKES) in flat for part in parts)


def match_services(text: str, services: Sequence[DeliveryServiceRef]) -> list[DeliveryServiceRef]:
    """Services matching typed text: a numeric id exactly, else a name fragment, in any case, with ё/э
    as е, and the names couriers type for the popular services («сдек», «cdek», «боксберри»)."""
    query = unicodedata.normalize("NFKC", text).strip()
    if not query:
        return []
    if query.isascii() and query.isdigit():
        return [s for s in services if s.id == int(query)]
    folded = _fold_name(query)
    wanted = [folded, *(name for alias, name in SERVICE_ALIASES.items() if alias.startswith(folded))]
    wanted = [w for w in wanted if w]
    return [s for s in services if any(w in _fold_name(s.name) for w in wanted)]


def _fold_name(name: str) -> str:
    return name.casefold().replace("ё", "е").replace("э", "е").strip(" -–—,.;")


# What couriers type → how the Market's reference names the service (folded).
SERVICE_ALIASES = {
    "сдек": "сдек",
    "cdek": "сдек",
    "sdek": "сдек",
    "боксберри": "boxberry",
    "боксбери": "boxberry",
    "boxbery": "boxberry",
    "дпд": "dpd",
    "почта": "почта россии",
    "pochta": "почта россии",
    "russian post": "почта россии",
    "пятерочка": "5post",
    "5пост": "5post",
    "яндекс": "яндекс доставка",
    "yandex": "яндекс доставка",
}


# The services DBS shops in Russia use most, by name as the Market's reference spells them.
POPULAR_SERVICES = ("сдэк", "почта россии", "boxberry", "dpd", "яндекс доставка", "5post")


def order_services(
    services: Iterable[DeliveryServiceRef], recent_ids: Sequence[int], order_service_id: int | None = None
) -> list[DeliveryServiceRef]:
    """The order's own service first, then the user's recent ones (most recent first), then the
    most used ones, then the rest by name."""
    by_id = {s.id: s for s in services}
    first = [order_service_id] if order_service_id in by_id else []
    recent = [i for i in recent_ids if i in by_id and i not in first]
    chosen = [*first, *recent]
    popularity = {name: n for n, name in enumerate(POPULAR_SERVICES)}
    rest = sorted(
        (s for s in by_id.values() if s.id not in chosen),
        key=lambda s: (popularity.get(s.name.casefold(), len(popularity)), s.name),
    )
    return [by_id[i] for i in chosen] + rest
