"""Parsers of what people type: many cases, and properties checked by hypothesis."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.clock import moscow_today
from bot.domain.parsing import (
    INT64_MAX,
    InputError,
    match_services,
    order_services,
    parse_api_key,
    parse_date,
    parse_order_id,
    parse_track_code,
    written_differently,
)
from bot.domain.records import DeliveryServiceRef

TODAY = dt.date(2026, 11, 23)
TWO_MONTHS_AGO = dt.date(2026, 9, 23)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42),
        (" 42 ", 42),
        ("#42", 42),
        ("# 42", 42),
        ("№42", 42),
        ("1 234 567", 1234567),
        ("0042", 42),
        ("0" * 5000 + "42", 42),
        (str(INT64_MAX), INT64_MAX),
    ],
)
def test_order_id_accepted(text: str, value: int) -> None:
    assert parse_order_id(text) == value


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (None, "order-id-not-text"),
        ("", "order-id-empty"),
        ("   ", "order-id-empty"),
        ("0", "order-id-range"),
        ("-5", "order-id-range"),
        (str(INT64_MAX + 1), "order-id-range"),
        ("7" * 5000, "order-id-range"),  # a cell of a CSV; int() refuses over 4300 digits
        ("abc", "order-id-digits"),
        ("12a", "order-id-digits"),
        ("1.5", "order-id-digits"),
        ("##1", "order-id-digits"),
        ("١٢٣", "order-id-digits"),  # Arabic-Indic digits are digits to Python, not to the Market
        ("+7", "order-id-digits"),
        ("42 43", "order-id-several"),
        ("42, 43", "order-id-several"),
        ("#42 #43", "order-id-several"),
        ("1 23 456", "order-id-several"),
    ],
)
def test_order_id_refused(text: str | None, key: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_order_id(text)
    assert caught.value.key == key


@given(st.integers(min_value=1, max_value=INT64_MAX))
def test_order_id_round_trip(value: int) -> None:
    assert parse_order_id(f"#{value}") == value


@given(st.text())
def test_order_id_never_raises_anything_else(text: str) -> None:
    try:
        value = parse_order_id(text)
    except InputError:
        return
    assert 1 <= value <= INT64_MAX


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (None, "track-not-text"),
        ("", "track-empty"),
        (" \t\n", "track-empty"),
        ("X" * 65, "track-too-long"),
        ("AB\u200bCD", "track-unprintable"),
        ("AB\x00", "track-unprintable"),
        ("A\nB", "track-unprintable"),
        ("ПОЧТА-123", "track-cyrillic"),  # П and Ч look like no Latin letter
        ("RU-Ж12345", "track-cyrillic"),
        ('=HYPERLINK("http://evil.example";"RA123456789RU")', "track-formula"),
        ("=1+1", "track-formula"),
        ("+79001234567", "track-formula"),
        ("-12345", "track-formula"),
        ("@SUM(A1:A9)", "track-formula"),
        ("  =A1", "track-formula"),  # after trimming
        ("＝A1", "track-formula"),  # a full-width = is an = after NFKC
    ],
)
def test_track_code_refused(text: str | None, key: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_track_code(text)
    assert caught.value.key == key


@given(st.text())
def test_track_code_is_trimmed_printable_short_and_latin(text: str) -> None:
    try:
        code = parse_track_code(text)
    except InputError:
        return
    typed = unicodedata.normalize("NFKC", text).strip()
    assert 1 <= len(code) <= 64 and code.isprintable() and len(code) <= len(typed)
    assert not code.startswith(("=", "+", "-", "@")) and not any(c.isspace() for c in code)
    assert all("CYRILLIC" not in unicodedata.name(c, "") for c in code)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("RA 1234 5678 9RU", "RA123456789RU"),  # as the label prints it, in groups
        ("RA 123456789 RU", "RA123456789RU"),
        ("1234 5678 90", "1234567890"),
        ("ra123456789ru", "RA123456789RU"),  # the postal form is upper case
        ("'1234567890", "1234567890"),  # a spreadsheet's text marking
        ('="1234567890"', "1234567890"),
        ("№1234567890", "1234567890"),  # not «No1234567890», what NFKC makes of №
        ("#BB-000123", "BB-000123"),
    ],
)
def test_a_code_written_as_people_and_spreadsheets_write_it_is_taken_as_the_market_expects(
    typed: str, code: str
) -> None:
    assert parse_track_code(typed) == code
    assert written_differently(typed, code)


@pytest.mark.parametrize("typed", ["77003 1234567890", "Трек 1234567890", "RA123456789RU 52311001"])
def test_two_long_parts_are_no_one_code(typed: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_track_code(typed)
    assert caught.value.key == "track-spaces"


def test_a_code_taken_as_typed_is_not_said_to_be_rewritten() -> None:
    assert not written_differently("  RA123456789RU ", parse_track_code("  RA123456789RU "))
    assert parse_track_code("cdek-1") == "cdek-1"  # only the postal form is upper-cased: others may mind


@settings(max_examples=30)
@given(st.sampled_from("=+-@"), st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40))
def test_a_code_starting_like_a_formula_is_refused_saying_so(start: str, rest: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_track_code(start + rest)
    assert caught.value.key == "track-formula" and caught.value.args_ == {"char": start}


def test_cyrillic_look_alike_letters_are_taken_as_latin_and_others_named() -> None:
    assert (
        parse_track_code("ＲＡ１２３４５６７８９ＲＵ") == "RA123456789RU"
    )  # full-width, as some keyboards type
    assert parse_track_code("ВВ-000123") == "BB-000123"  # all Cyrillic: В is drawn like B
    assert parse_track_code("RА123456789RU") == "RA123456789RU"  # a Cyrillic А among Latin letters
    assert parse_track_code("СDEK-1Р") == "CDEK-1P"
    assert parse_track_code("АВЕКМНОРСТУХавекмнорстух") == "ABEKMHOPCTYXabekmhopctyx"
    with pytest.raises(InputError) as caught:
        parse_track_code("ПОЧТА-123")
    assert caught.value.key == "track-cyrillic" and caught.value.args_ == {"letters": "П, Ч"}


@pytest.mark.parametrize("typed", ["²", "٣", "５１", "1⁵"])
def test_non_ascii_digits_at_the_service_step_match_or_not_but_never_fail(typed: str) -> None:
    assert [s.id for s in match_services(typed, SERVICES)] in ([], [51])


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2026-12-05", dt.date(2026, 12, 5)),
        ("05.12.2026", dt.date(2026, 12, 5)),
        ("5.12.2026", dt.date(2026, 12, 5)),
        ("05/12/2026", dt.date(2026, 12, 5)),
        ("05.12", dt.date(2026, 12, 5)),
        ("23.11", TODAY),
        ("22.09", dt.date(2027, 9, 22)),  # over two months ago: the coming one
        ("01.01", dt.date(2027, 1, 1)),
        ("29.02", dt.date(2028, 2, 29)),
        ("сегодня", TODAY),
        ("Завтра", dt.date(2026, 11, 24)),
        ("послезавтра.", dt.date(2026, 11, 25)),
        ("tomorrow", dt.date(2026, 11, 24)),
        ("5 декабря", dt.date(2026, 12, 5)),
        ("5 дек.", dt.date(2026, 12, 5)),
        ("Dec 5", dt.date(2026, 12, 5)),
        ("5 December", dt.date(2026, 12, 5)),
        ("1 мая", dt.date(2027, 5, 1)),
        (" 2026-11-23 ", TODAY),
    ],
)
def test_dates_accepted(text: str, value: dt.date) -> None:
    assert parse_date(text, TODAY) == value


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (None, "date-not-text"),
        ("вчера", "date-format"),
        ("5 абв", "date-format"),
        ("31 ноября", "date-impossible"),
        ("22 ноября", "date-past"),
        ("22.11", "date-past"),  # yesterday, not next year's 22 November
        ("24.09", "date-past"),  # within the last two months
        ("2026-13-01", "date-impossible"),
        ("31.04", "date-impossible"),
        ("30.02.2027", "date-impossible"),
        ("2026-11-22", "date-past"),
        ("22.11.2026", "date-past"),
        ("12.2026", "date-format"),
    ],
)
def test_dates_refused(text: str | None, key: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_date(text, TODAY)
    assert caught.value.key == key


@given(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.sampled_from(["%Y-%m-%d", "%d.%m.%Y", "%d.%m"]),
)
def test_date_is_never_in_the_past(day: dt.date, fmt: str) -> None:
    text = day.strftime(fmt)
    if fmt == "%d.%m":  # refused when it fell in the last two months (since 23 September), else coming
        past = (day.month, day.day) != (2, 29) and TWO_MONTHS_AGO <= day.replace(year=2026) < TODAY
    else:
        past = day < TODAY
    if past:
        with pytest.raises(InputError, match="date-past"):
            parse_date(text, TODAY)
        return
    parsed = parse_date(text, TODAY)
    assert parsed >= TODAY
    assert (parsed.day, parsed.month) == (day.day, day.month)


@pytest.mark.parametrize(
    ("today", "text", "value"),
    [
        (dt.date(2026, 12, 2), "01.12", None),  # yesterday
        (dt.date(2026, 12, 30), "05.01", dt.date(2027, 1, 5)),
        (dt.date(2027, 1, 5), "30.12", None),  # six days ago, last year
        (dt.date(2026, 12, 31), "31.10", None),  # two months ago to the day
        (dt.date(2026, 12, 31), "30.10", dt.date(2027, 10, 30)),
        (dt.date(2026, 4, 30), "29.02", dt.date(2028, 2, 29)),  # 2024's is long past
    ],
)
def test_a_day_and_month_is_the_nearest_such_day(today: dt.date, text: str, value: dt.date | None) -> None:
    if value is None:
        with pytest.raises(InputError, match="date-past"):
            parse_date(text, today)
    else:
        assert parse_date(text, today) == value


def test_moscow_today_changes_at_21_utc() -> None:
    assert moscow_today(dt.datetime(2026, 11, 23, 20, 59, tzinfo=dt.UTC)) == dt.date(2026, 11, 23)
    assert moscow_today(dt.datetime(2026, 11, 23, 21, 0, tzinfo=dt.UTC)) == dt.date(2026, 11, 24)


@pytest.mark.parametrize("text", ["", "   ", "two words", "a\u0000b", "k" * 513, None, "¡", "ключ-123"])
def test_api_key_shape_refused(text: str | None) -> None:
    with pytest.raises(InputError):
        parse_api_key(text)


@given(st.text())
def test_api_key_is_always_sendable_in_a_header(text: str) -> None:
    try:
        key = parse_api_key(text)
    except InputError:
        return
    assert key.isascii() and key.isprintable() and " " not in key  # httpx refuses anything else in a header


def test_api_key_trimmed() -> None:
    assert parse_api_key("  ACMA:abc:123\n") == "ACMA:abc:123"


SERVICES = [
    DeliveryServiceRef(id=51, name="СДЭК"),
    DeliveryServiceRef(id=106, name="Boxberry"),
    DeliveryServiceRef(id=139, name="Почта России"),
    DeliveryServiceRef(id=1003, name="Своя служба доставки"),
]


@pytest.mark.parametrize(
    ("text", "ids"),
    [("51", [51]), ("5", []), ("сдэк", [51]), ("BOX", [106]), ("ро", [139]), ("", []), ("zzz", [])],
)
def test_match_services(text: str, ids: list[int]) -> None:
    assert [s.id for s in match_services(text, SERVICES)] == ids


def test_recent_services_first_then_by_name() -> None:
    ordered = order_services(SERVICES, [139, 999, 51])
    assert [s.id for s in ordered] == [139, 51, 106, 1003]


@pytest.mark.parametrize("shown", ["8,00812E+13", "8.00812E+13", "1.23456789012345E+15", "80081234567890E+0"])
def test_a_long_number_as_a_spreadsheet_shows_it_is_refused(shown: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_track_code(shown)
    assert caught.value.key == "track-scientific" and caught.value.args_ == {"shown": shown}
    assert parse_track_code("12E45") == "12E45", "a code with an E in it is still a code"


@pytest.mark.parametrize(
    "typed",
    [
        "RA123456789RU\ufe0f",  # a variation selector, pasted after an emoji-styled character
        "RA123\u034f456789RU",  # a combining grapheme joiner: zero width
        "\u2800RA123456789RU",  # a braille blank: looks like a space, strip() keeps it
        "RA123\u3164456789RU",  # a Hangul filler
        "ΡΑ123456789ΡU",  # Greek Rho and Alpha, drawn like P and A
        "RA١٢٣٤٥٦٧٨٩RU",  # Arabic-Indic digits
    ],
)
def test_what_is_not_ascii_never_reaches_the_market_as_a_code(typed: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_track_code(typed)
    assert caught.value.key == "track-not-latin"


@pytest.mark.parametrize(
    ("typed", "value"), [("48200O3", 4820003), ("#48200о3", 4820003), ("4 820 0О3", 4820003)]
)
def test_the_letter_o_typed_for_a_zero_in_an_order_number_is_a_zero(typed: str, value: int) -> None:
    assert parse_order_id(typed) == value


@pytest.mark.parametrize(
    ("typed", "names"),
    [
        ("сдек", ["СДЭК"]),
        ("CDEK", ["СДЭК"]),
        ("боксберри", ["Boxberry"]),
        ("почта", ["Почта России"]),
        ("- СДЭК", ["СДЭК"]),
        ("dpd", ["DPD"]),
        ("курьер", []),
    ],
)
def test_services_are_found_by_the_names_couriers_type(typed: str, names: list[str]) -> None:
    services = [
        DeliveryServiceRef(id=51, name="СДЭК"),
        DeliveryServiceRef(id=1, name="Boxberry"),
        DeliveryServiceRef(id=2, name="Почта России"),
        DeliveryServiceRef(id=3, name="DPD"),
    ]
    assert [s.name for s in match_services(typed, services)] == names
