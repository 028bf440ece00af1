"""Many track codes at once: the rows of a pasted list, a CSV file or an XLSX file.

A row is `<order number> <track code> [service]`. In a message the cells are separated by `;`, a tab
or `,` (whichever the line has, in that order of preference), else by spaces, the service taking the
rest of the line (`Почта России` has a space). Files have the same three columns; a header row is
optional, and when it names the columns (заказ/order, трек/track, служба/service) they may stand in
any order. CSV may use `;`, a tab or `,`, in UTF-8, UTF-16 with its BOM (Excel's «Unicode text») or
Windows-1251, with any line ends. Of a workbook, the visible rows of the first sheet are read.

Reading a file is bounded (its size, the rows and columns read, a deadline checked between rows) and
blocking: `bot.services.tables` runs it in a worker thread.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from bot.domain import xlsx

MAX_LINES = 500
MAX_ROWS_READ = MAX_LINES + 50  # enough to say a file is too long (and to skip a few header lines)
MAX_COLUMNS = 10  # a header may name the columns anywhere among the first ten
MAX_CSV_LINE = 64 * 1024  # characters; a line of three cells is a few dozen

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


def rows_from_table(table: Iterable[tuple[int, Sequence[str]]]) -> list[BulkRow]:
    """Rows of a table (a CSV or a sheet), each with its number: empty rows skipped, a header row
    recognised."""
    filled = [(n, [c.strip() for c in raw]) for n, raw in table if any(c.strip() for c in raw)]
    columns = {"order": 0, "code": 1, "service": 2}
    if filled and not _ORDER_CELL.fullmatch(filled[0][1][0]):
        columns = _columns(filled[0][1]) or columns  # a header: the columns it names, or in order
        filled = filled[1:]
    return [
        BulkRow(n, _at(cells, columns["order"]), _at(cells, columns["code"]), _at(cells, columns["service"]))
        for n, cells in filled
    ]


def decode_text(data: bytes) -> str:
    """UTF-16 by its BOM (Excel's «Unicode text»), else UTF-8 (with or without a BOM), else
    Windows-1251 (what Excel in Russian saves). Raises UnicodeDecodeError for a broken UTF-16."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


def rows_from_csv(data: bytes, deadline: float = math.inf) -> list[BulkRow]:
    """The rows of a CSV (or tab-separated text). Raises `BulkFileError` for one that cannot be read
    (a broken encoding, a line over MAX_CSV_LINE, a field over the csv module's 128 KiB) or not by
    the deadline."""
    try:
        text = decode_text(data)
    except UnicodeDecodeError:
        raise BulkFileError("bulk-file-unreadable") from None
    sample = text[:4096]
    delimiter = max((";", "\t", ","), key=sample.count)  # the most frequent; on a tie, the first
    table: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(csv.reader(_lines(text), delimiter=delimiter), start=1):
            if any(c.strip() for c in cells):
                table.append((number, cells[:MAX_COLUMNS]))
                if len(table) >= MAX_ROWS_READ:
                    break
            if time.monotonic() > deadline:
                raise BulkFileError("bulk-file-too-slow")
    except csv.Error:
        raise BulkFileError("bulk-file-unreadable") from None
    return rows_from_table(table)


def _lines(text: str) -> Iterator[str]:
    """The lines of a text, ending in LF, CR LF or a lone CR (old Macs), each bounded."""
    for line in io.StringIO(text, newline=""):
        if len(line) > MAX_CSV_LINE:
            raise BulkFileError("bulk-file-unreadable")
        yield line


def rows_from_xlsx(data: bytes, deadline: float = math.inf) -> list[BulkRow]:
    """The visible rows of the first sheet (rows hidden by a filter or by hand are skipped); numbers
    written as numbers come out as digits, not `1.2E+10`. Raises `BulkFileError` for a file that is no
    workbook, is too large unpacked, or is not read by the deadline."""
    try:
        table = xlsx.visible_rows(data, columns=MAX_COLUMNS, rows=MAX_ROWS_READ, deadline=deadline)
    except xlsx.TooLarge:
        raise BulkFileError("bulk-file-too-much") from None
    except xlsx.TooSlow:
        raise BulkFileError("bulk-file-too-slow") from None
    except xlsx.Unreadable:
        raise BulkFileError("bulk-file-unreadable") from None
    return rows_from_table(table)
