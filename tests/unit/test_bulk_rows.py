"""Reading the rows of a bulk send: pasted lists, CSV in two encodings and separators, XLSX."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from bot.domain.bulk import BulkFileError, BulkRow, rows_from_csv, rows_from_text, rows_from_xlsx


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("42 RA123456789RU", [BulkRow(1, "42", "RA123456789RU")]),
        ("42 RA123456789RU Почта России", [BulkRow(1, "42", "RA123456789RU", "Почта России")]),
        ("42;CDEK-1;СДЭК", [BulkRow(1, "42", "CDEK-1", "СДЭК")]),
        ("42\tCDEK-1\tСДЭК", [BulkRow(1, "42", "CDEK-1", "СДЭК")]),
        ("42, CDEK-1, СДЭК", [BulkRow(1, "42", "CDEK-1", "СДЭК")]),
        ("#42 X-1\n\n№43 X-2\n", [BulkRow(1, "#42", "X-1"), BulkRow(3, "№43", "X-2")]),
        # a code with a space in it needs `;`, a tab or `,`; spaces split the code from the service
        ("42;AB 12;DPD", [BulkRow(1, "42", "AB 12", "DPD")]),
    ],
)
def test_a_pasted_list_is_read_line_by_line(text: str, rows: list[BulkRow]) -> None:
    assert rows_from_text(text) == rows


@pytest.mark.parametrize(
    "text",
    ["привет, как дела", "42", "RA123456789RU 42", "42 X-1\nспасибо!", "", "  \n ", "12 апреля", "3 шт"],
)
def test_what_is_not_a_list_is_left_to_the_rest_of_the_bot(text: str) -> None:
    assert rows_from_text(text) is None


CODES = st.builds(  # what a track code looks like: Latin letters, digits and dashes, a digit in it
    lambda head, digit, tail: head + digit + tail,
    st.text("ABRUX-", max_size=8),
    st.sampled_from("0123456789"),
    st.text("0123456789ABZ-", max_size=8),
)


@settings(max_examples=50)
@given(
    st.lists(
        st.tuples(st.integers(1, 10**12), CODES),
        min_size=1,
    )
)
def test_any_list_of_numbers_and_codes_reads_back(pairs: list[tuple[int, str]]) -> None:
    text = "\n".join(f"{n} {code}" for n, code in pairs)
    assert rows_from_text(text) == [BulkRow(i, str(n), code) for i, (n, code) in enumerate(pairs, 1)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251"])
@pytest.mark.parametrize("separator", [";", ","])
def test_a_csv_with_a_header_in_either_encoding_and_separator(encoding: str, separator: str) -> None:
    table = (
        ["Номер заказа", "Трек-номер", "Служба доставки"],
        ["42", "RA1", "Почта России"],
        ["43", "RB2", ""],
    )
    data = "\r\n".join(separator.join(row) for row in table).encode(encoding)
    assert rows_from_csv(data) == [BulkRow(2, "42", "RA1", "Почта России"), BulkRow(3, "43", "RB2")]


def test_a_header_may_name_the_columns_in_any_order() -> None:
    data = b"service,track,order\nDPD,T-1,42\n"
    assert rows_from_csv(data) == [BulkRow(2, "42", "T-1", "DPD")]


def test_an_unknown_header_is_skipped_and_the_columns_stay_in_order() -> None:
    assert rows_from_csv(b"a;b\n42;T-1\n") == [BulkRow(2, "42", "T-1")]


def test_an_xlsx_sheet_with_numbers_as_numbers() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Заказ", "Трек", "Служба"])
    sheet.append([12345678901, "RA123456789RU", "Почта России"])
    sheet.append([None, None, None])
    sheet.append([42.0, 80081234567890, None])
    out = io.BytesIO()
    book.save(out)
    assert rows_from_xlsx(out.getvalue()) == [
        BulkRow(2, "12345678901", "RA123456789RU", "Почта России"),
        BulkRow(4, "42", "80081234567890"),
    ]


def test_a_file_that_is_no_workbook_is_refused() -> None:
    with pytest.raises(BulkFileError) as refused:
        rows_from_xlsx(b"PK\x03\x04 broken")
    assert refused.value.key == "bulk-file-unreadable"
