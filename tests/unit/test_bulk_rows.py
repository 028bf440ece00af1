"""Reading the rows of a bulk send: pasted lists, CSV in three encodings and separators, XLSX, and
files made to hurt: too large unpacked, too slow, broken."""

from __future__ import annotations

import codecs
import io
import time
import zipfile
from typing import IO, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from bot.domain.bulk import (
    BulkFileError,
    BulkRow,
    rows_from_csv,
    rows_from_file,
    rows_from_text,
    rows_from_xlsx,
)
from tests.fakes.workbooks import row, workbook


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("42 RA123456789RU", [BulkRow(1, "42", "RA123456789RU")]),
        ("42 RA123456789RU Почта России", [BulkRow(1, "42", "RA123456789RU", "Почта России")]),
        ("42;CDEK-1;СДЭК", [BulkRow(1, "42", "CDEK-1", "СДЭК")]),
        ("42\tCDEK-1\tСДЭК", [BulkRow(1, "42", "CDEK-1", "СДЭК")]),
        ("42, CDEK-1, СДЭК", [BulkRow(1, "42", "CDEK-1", "СДЭК")]),
        ("#42 X-1\n\n№43 X-2\n", [BulkRow(1, "#42", "X-1"), BulkRow(3, "№43", "X-2")]),
        ("42;AB 12;DPD", [BulkRow(1, "42", "AB 12", "DPD")]),
        # spaces: the code's groups are the parts with a digit, the service the words after them
        ("42 1234 5678 90 СДЭК", [BulkRow(1, "42", "1234 5678 90", "СДЭК")]),
        ("42 RA 1234 5678 9RU Почта России", [BulkRow(1, "42", "RA 1234 5678 9RU", "Почта России")]),
        ("42 1234567890 DPD", [BulkRow(1, "42", "1234567890", "DPD")]),
        # what notes and chats put around the cells
        (
            "1. 42 — X-1\n2) 43: X-2\n• 44 - X-3",
            [BulkRow(1, "42", "X-1"), BulkRow(2, "43", "X-2"), BulkRow(3, "44", "X-3")],
        ),
        ("Заказ;Трек;Служба\n42;X-1;DPD", [BulkRow(2, "42", "X-1", "DPD")]),
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


def test_a_list_with_an_odd_line_is_a_list_naming_that_line() -> None:
    assert rows_from_text("42 X-1\nзавтра ещё\n43 X-2") == [
        BulkRow(1, "42", "X-1"),
        BulkRow(2, "завтра ещё", "", unreadable=True),
        BulkRow(3, "43", "X-2"),
    ]


def test_a_title_row_above_the_header_and_a_date_column_are_no_columns_of_ours() -> None:
    data = "Отгрузка на 25.11\nДата заказа;№ заказа;Дата доставки;Трек-номер;Служба\n1.11;42;25.11;RA1;DPD\n"
    assert rows_from_csv(data.encode()) == [BulkRow(3, "42", "RA1", "DPD")]


CODES = st.builds(  # what a track code looks like: Latin letters, digits and dashes, a digit in it
    lambda head, digit, tail: head + digit + tail,
    st.text("ABRUX-", max_size=8),
    st.sampled_from("0123456789"),
    st.text("0123456789ABZ-", max_size=8),
).filter(lambda code: not code.startswith("-"))  # that one reads as a dash after the number


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


def test_rows_hidden_by_a_filter_or_by_hand_are_not_taken() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Заказ", "Трек"])
    for n in range(2, 7):
        sheet.append([40 + n, f"T-{n}"])
    sheet.auto_filter.ref = "A1:B6"
    sheet.row_dimensions[3].hidden = True  # what a filter leaves on the rows it hides
    sheet.row_dimensions[5].hidden = True
    out = io.BytesIO()
    book.save(out)
    assert rows_from_xlsx(out.getvalue()) == [
        BulkRow(2, "42", "T-2"),
        BulkRow(4, "44", "T-4"),  # numbered as Excel shows them
        BulkRow(6, "46", "T-6"),
    ]


def test_a_workbook_read_without_openpyxl_gives_its_texts_and_numbers() -> None:
    """Shared strings (rich, with a phonetic guide), inline strings, cells out of order or far to the
    right, numbers in E notation: what Excel and LibreOffice write."""
    data = workbook(
        [
            b'<row r="2"><c r="C2" t="s"><v>1</v></c><c r="A2"><v>1.2345678901E10</v></c>'
            b'<c r="B2" t="s"><v>0</v></c><c r="XFD2"><v>7</v></c></row>',
            row(3, "43", "AB-1", "DPD"),
            b'<row r="4"><c r="A4"><f>40+4</f><v>44</v></c><c r="B4" t="str"><v>F-4</v></c></row>',
        ],
        [
            b"<si><t>X-1</t></si>",
            "<si><r><t>Почта </t></r><r><t>России</t></r><rPh><t>ポ</t></rPh></si>".encode(),
        ],
    )
    assert rows_from_xlsx(data) == [
        BulkRow(2, "12345678901", "X-1", "Почта России"),
        BulkRow(3, "43", "AB-1", "DPD"),
        BulkRow(4, "44", "F-4"),
    ]


def test_a_workbook_too_large_unpacked_is_refused_before_it_is_unpacked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: str | zipfile.ZipInfo, *args: Any, **kwargs: Any) -> IO[bytes]:
        opened.append(name if isinstance(name, str) else name.filename)
        return real_open(self, name, *args, **kwargs)

    # 9 MiB of a sheet, or of one shared string: a few kilobytes packed
    bombs = [
        workbook([row(1, "42", "T-1"), b" " * (9 * 1024 * 1024)]),
        workbook(
            [b'<row r="1"><c t="s"><v>0</v></c></row>'], [b"<si><t>", b"A" * (9 * 1024 * 1024), b"</t></si>"]
        ),
    ]
    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    for bomb, part in zip(bombs, ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"], strict=True):
        assert len(bomb) < 20_000
        with pytest.raises(BulkFileError) as refused:
            rows_from_xlsx(bomb)
        assert refused.value.key == "bulk-file-too-much"
        assert part not in opened, "the part over its limit is never unpacked"


def test_a_workbook_that_takes_too_long_is_given_up_by_its_reader() -> None:
    data = workbook([row(n, str(n), f"T-{n}") for n in range(1, 50)])
    assert len(rows_from_xlsx(data, deadline=time.monotonic() + 60)) == 49
    with pytest.raises(BulkFileError) as refused:
        rows_from_xlsx(data, deadline=time.monotonic() - 1)
    assert refused.value.key == "bulk-file-too-slow"


def test_a_workbook_with_a_dtd_is_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    data = workbook([row(1, "42", "&lol2;")])
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as copy:
        for info in source.infolist():
            body = laughs + sheet if info.filename == "xl/worksheets/sheet1.xml" else source.read(info)
            copy.writestr(info.filename, body)
    with pytest.raises(BulkFileError) as refused:
        rows_from_xlsx(out.getvalue())
    assert refused.value.key == "bulk-file-unreadable"


@pytest.mark.parametrize(
    "sheet",
    [
        # a tag of 30,000 attributes: expat would take it in one go, holding the GIL
        b'<row r="1"><c ' + b"".join(b'a%05d="" ' % n for n in range(30_000)) + b"/></row>",
        # a column of 100,000 letters: its number would take hours to compute
        b'<row r="1"><c r="' + b"A" * 100_000 + b'1"><v>1</v></c></row>',
    ],
    ids=["attributes", "column"],
)
def test_a_sheet_with_a_monstrous_tag_is_refused(sheet: bytes) -> None:
    with pytest.raises(BulkFileError) as refused:
        rows_from_xlsx(workbook([sheet]), deadline=time.monotonic() + 10)
    assert refused.value.key == "bulk-file-unreadable"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8))
def test_a_damaged_workbook_is_read_or_refused_never_crashes(damage: list[tuple[int, int]]) -> None:
    data = bytearray(workbook([row(1, "Заказ", "Трек"), row(2, "42", "T-1"), row(3, "43", "T-2")], level=0))
    for at, byte in damage:
        data[at % len(data)] = byte
    try:
        rows_from_xlsx(bytes(data))
    except BulkFileError as refused:
        said = refused.key
    else:
        said = "read"
    # a size in the zip's directory may have been made larger
    assert said in ("read", "bulk-file-unreadable", "bulk-file-too-much")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_excel_unicode_text_is_utf_16_with_tabs(encoding: str) -> None:
    text = 'Номер заказа\tТрек-номер\tСлужба\r\n42\tRA1\tПочта России\r\n43\t"RB,2"\tСДЭК\r\n'
    bom = {"utf-16": b"", "utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}[encoding]
    assert rows_from_csv(bom + text.encode(encoding)) == [
        BulkRow(2, "42", "RA1", "Почта России"),
        BulkRow(3, "43", "RB,2", "СДЭК"),
    ]


@pytest.mark.parametrize("newline", ["\r", "\n", "\r\n"])
def test_a_csv_with_any_line_ends(newline: str) -> None:
    data = newline.join(["42;RA1;Почта России", "", "43;RB2"]).encode("cp1251")
    assert rows_from_csv(data) == [BulkRow(1, "42", "RA1", "Почта России"), BulkRow(3, "43", "RB2")]


@pytest.mark.parametrize(
    "data",
    [
        b"42;" + b"A" * (130 * 1024) + b"\r\n43;T-1\r\n",  # a field over csv's 128 KiB, on one line
        b'42;"' + b"A" * 60_000 + b"\n" + b"B" * 60_000 + b"\n" + b"C" * 20_000 + b'"\n',  # on lines
        b"\xff\xfe" + "42;T-1".encode("utf-16-le") + b"\x00",  # UTF-16 cut in the middle of a letter
        b"\xff\xfe" + b"\x00\xd8\x41\x00",  # a lone surrogate
    ],
)
def test_a_csv_that_cannot_be_read_is_refused(data: bytes) -> None:
    with pytest.raises(BulkFileError) as refused:
        rows_from_csv(data)
    assert refused.value.key == "bulk-file-unreadable"


def test_a_csv_that_takes_too_long_is_given_up_by_its_reader() -> None:
    with pytest.raises(BulkFileError) as refused:
        rows_from_csv(b"42;T-1\n" * 10, deadline=time.monotonic() - 1)
    assert refused.value.key == "bulk-file-too-slow"


def test_a_first_line_with_a_typo_in_its_number_is_a_line_not_a_header() -> None:
    rows = rows_from_csv(b"1O1;RA123456789RU\n102;RA123456780RU\n")
    assert rows == [BulkRow(1, "1O1", "RA123456789RU"), BulkRow(2, "102", "RA123456780RU")]
    assert rows_from_csv(b"Number;Code\n102;RA1\n") == [BulkRow(2, "102", "RA1")]


def test_a_text_file_without_separators_is_read_as_a_pasted_list() -> None:
    text = (
        "101 RA123456789RU Почта России\n102 RA123456780RU Почта России\r\nспасибо\n103 1234 5678 90 СДЭК\n"
    )
    assert (
        rows_from_csv(text.encode())
        == rows_from_text(text)
        == [
            BulkRow(1, "101", "RA123456789RU", "Почта России"),
            BulkRow(2, "102", "RA123456780RU", "Почта России"),
            BulkRow(3, "спасибо", "", unreadable=True),
            BulkRow(4, "103", "1234 5678 90", "СДЭК"),
        ]
    )
    assert rows_from_csv("привет\nкак дела\n".encode()) == []  # no line of it is a row: no list


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_of_too_many_rows_is_refused_with_how_many_it_has(kind: str) -> None:
    """The rows past those kept are counted, not taken: a file of 2,000 is not said to have 550."""
    if kind == "csv":
        data = "Заказ;Трек\n".encode() + b"".join(b"%d;RA%09dRU\n" % (100_000 + n, n) for n in range(2000))
    else:
        data = workbook([row(1, "Заказ", "Трек"), *(row(n + 2, str(n), f"T-{n}") for n in range(2000))])
    with pytest.raises(BulkFileError) as refused:
        rows_from_file(data, kind)
    assert (refused.value.key, refused.value.args_) == ("bulk-too-many", {"count": 2000, "limit": 500})


def test_a_workbook_is_read_as_one_whatever_its_name_and_binary_is_no_text() -> None:
    book = workbook([row(1, "42", "RA123456789RU")])
    assert rows_from_file(book, "csv") == [BulkRow(1, "42", "RA123456789RU")]
    for garbage in (book[4:], b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, bytes(range(256)) * 4):
        with pytest.raises(BulkFileError) as refused:
            rows_from_file(garbage, "csv")
        assert refused.value.key == "bulk-file-unreadable"


def _two_sheets(*, first_hidden: bool, active: int) -> bytes:
    book = Workbook()
    old = book.active
    assert old is not None
    old.title = "Выгрузка"
    old.append(["Заказ", "Трек"])
    old.append([101, "OLD-000001"])  # last week's codes, kept for reference
    if first_hidden:
        old.sheet_state = "hidden"
    today = book.create_sheet("Сегодня")
    today.append(["Заказ", "Трек"])
    today.append([101, "RA123456789RU"])
    book.active = active
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("first_hidden", "active", "code"),
    [(True, 1, "RA123456789RU"), (False, 1, "RA123456789RU"), (False, 0, "OLD-000001")],
    ids=["first-hidden", "second-active", "first-active"],
)
def test_the_sheet_read_is_the_one_the_workbook_opens_on_never_a_hidden_one(
    first_hidden: bool, active: int, code: str
) -> None:
    assert rows_from_xlsx(_two_sheets(first_hidden=first_hidden, active=active)) == [BulkRow(2, "101", code)]


def test_a_hidden_active_tab_gives_way_to_the_first_visible_sheet() -> None:
    data = _two_sheets(first_hidden=True, active=1)
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b'activeTab="1"', b'activeTab="0"')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as copy:
        for name, body in parts.items():
            copy.writestr(name, body)
    assert rows_from_xlsx(out.getvalue()) == [BulkRow(2, "101", "RA123456789RU")]


def test_a_hidden_column_is_no_column() -> None:
    """Last week's «Трек» column hidden, today's after it: the header names both, and the cells of a
    hidden column are skipped as if it were not there (the columns after it move left)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Заказ", "Трек (старый)", "Трек", "Служба"])
    sheet.append([101, "OLD-000001", "RA123456789RU"])
    sheet.append([102, None, "RA123456780RU", "Почта России"])
    sheet.column_dimensions["B"].hidden = True
    out = io.BytesIO()
    book.save(out)
    assert rows_from_xlsx(out.getvalue()) == [
        BulkRow(2, "101", "RA123456789RU"),
        BulkRow(3, "102", "RA123456780RU", "Почта России"),
    ]
    cells = b'<c r="A1"><v>101</v></c><c r="B1"><v>1</v></c><c r="C1"><v>80081234567890</v></c>'
    no_header = workbook(
        [b'<row r="1">' + cells + b"</row>"],
        cols=b'<cols><col min="2" max="2" hidden="1"/><col min="5" max="16384" hidden="true"/></cols>',
    )
    assert rows_from_xlsx(no_header) == [BulkRow(1, "101", "80081234567890")]


def test_a_number_excel_rounded_to_15_digits_is_not_made_into_digits() -> None:
    """A 16-digit code typed into a number cell is kept by Excel as `1.23456789012345E+15`: its last
    digit is gone, and `1234567890123450` would be a code that is nobody's. The E notation stays (and
    is refused as a track code); numbers of up to 15 digits come out as digits."""
    data = workbook(
        [
            b'<row r="1"><c r="A1"><v>101</v></c><c r="B1"><v>1.23456789012345E+15</v></c></row>',
            b'<row r="2"><c r="A2"><v>102</v></c><c r="B2"><v>9.99999999999999E+14</v></c></row>',
        ]
    )
    assert rows_from_xlsx(data) == [
        BulkRow(1, "101", "1.23456789012345E+15"),
        BulkRow(2, "102", "999999999999999"),
    ]


@pytest.mark.parametrize("number", ["1" + "0" * 27, "1048577", "0"])
def test_a_row_number_excel_cannot_have_is_unreadable(number: str) -> None:
    data = workbook([f'<row r="{number}"><c r="A1"><v>101</v></c><c r="B1"><v>1</v></c></row>'.encode()])
    with pytest.raises(BulkFileError) as refused:
        rows_from_xlsx(data)
    assert refused.value.key == "bulk-file-unreadable"
