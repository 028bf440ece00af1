"""Many track codes at once: the rows of a pasted list, a CSV file or an XLSX file.

A row is `<order number> <track code> [service]`. In a message the cells are separated by `;`, a tab
or `,` (whichever the line has, in that order of preference), else by spaces, the service taking the
rest of the line (`Почта России` has a space). Files have the same three columns; a header row is
optional, and when it names the columns (заказ/order, трек/track, служба/service) they may stand in
any order. CSV may use `;` or `,`, in UTF-8 or Windows-1251.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass

MAX_LINES = 500

_ORDER_CELL = re.compile(r"[#№]?\s*[0-9][0-9 ]*")
_HEADER_WORDS = {  # the first that a header cell contains names its column («Трек-номер» is a code)
    "code": ("трек", "track"),
    "order": ("заказ", "order"),
    "service": ("служб", "service", "перевоз", "carrier", "доставк", "delivery"),
}


class BulkFileError(ValueError):
    """The file cannot be read as a table; `key` names the catalogue text that says why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class BulkRow:
    """One row as written: its line (or row) number and its three cells, trimmed."""

    line: int
    order: str
    code: str
    service: str = ""


def _cells(line: str) -> list[str]:
    for separator in (";", "\t", ","):
        if separator in line:
            return [c.strip() for c in line.split(separator)]
    parts = line.split(None, 2)
    return [p.strip() for p in parts]


def rows_from_text(text: str) -> list[BulkRow] | None:
    """The rows of a message, or None when it is not such a list (any non-empty line without an
    order number and a second cell with a digit in it)."""
    rows: list[BulkRow] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = _cells(line)
        if len(cells) < 2 or not _ORDER_CELL.fullmatch(cells[0]) or not any(c.isdigit() for c in cells[1]):
            return None  # a track code has a digit: «12 апреля» is no list
        rows.append(BulkRow(number, cells[0], cells[1], cells[2] if len(cells) > 2 else ""))
    return rows or None


def _columns(header: list[str]) -> dict[str, int] | None:
    """Where each column is, when a header row names them."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        folded = cell.casefold()
        column = next((c for c, words in _HEADER_WORDS.items() if any(w in folded for w in words)), None)
        if column is not None and column not in found:
            found[column] = index
    return {"service": -1, **found} if "order" in found and "code" in found else None


def _at(cells: list[str], index: int) -> str:
    return cells[index] if 0 <= index < len(cells) else ""


def rows_from_table(table: list[list[str]]) -> list[BulkRow]:
    """Rows of a table (a CSV or a sheet): empty rows skipped, a header row recognised."""
    filled = [
        (n, [c.strip() for c in raw]) for n, raw in enumerate(table, start=1) if any(c.strip() for c in raw)
    ]
    columns = {"order": 0, "code": 1, "service": 2}
    if filled and not _ORDER_CELL.fullmatch(filled[0][1][0]):
        columns = _columns(filled[0][1]) or columns  # a header: the columns it names, or in order
        filled = filled[1:]
    return [
        BulkRow(n, _at(cells, columns["order"]), _at(cells, columns["code"]), _at(cells, columns["service"]))
        for n, cells in filled
    ]


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1251 (what Excel in Russian saves)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


def rows_from_csv(data: bytes) -> list[BulkRow]:
    text = decode_text(data)
    sample = text[:4096]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    if "\t" in sample and not (";" in sample or "," in sample):
        delimiter = "\t"
    return rows_from_table([list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)])


def rows_from_xlsx(data: bytes) -> list[BulkRow]:
    """The first sheet of a workbook; numbers written as numbers come out as digits, not `1.2E+10`."""
    from openpyxl import load_workbook  # imported here: only a file needs it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise BulkFileError("bulk-file-unreadable") from None
    try:
        sheet = book.worksheets[0]
        table: list[list[str]] = []
        for values in sheet.iter_rows(values_only=True):
            table.append([_cell_text(v) for v in values[:10]])
            if len(table) > MAX_LINES + 50:  # enough to say the file is too long
                break
    finally:
        book.close()
    return rows_from_table(table)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
