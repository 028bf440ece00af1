"""Many track codes at once: the rows of a pasted list, a CSV file or an XLSX file.

A row is `<order number> <track code> [service]`. In a message the cells are separated by `;`, a tab
or `,` (whichever the line has, in that order of preference), else by spaces: the code's groups are the
parts with a digit (`1234 5678 90`), the service the rest of the line (`Почта России` has a space). A
numbering or bullet before the number and a dash or colon after it (as notes and chats write lists)
are no cells. Files have the same three columns; a header row is
optional, and when it names the columns (заказ/order, трек/track, служба/service) they may stand in
any order. CSV may use `;`, a tab or `,`, in UTF-8, UTF-16 with its BOM (Excel's «Unicode text») or
Windows-1251, with any line ends. Of a workbook, the visible rows of the first sheet are read.

Reading a file is bounded (its size, the rows and columns read, a deadline checked between rows) and
blocking: `bot.services.tables` runs it in a worker process of its own (`table_worker`).
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
_NOT_A_COLUMN = ("дата", "date", "время", "time")  # «Дата доставки», «Дата заказа»: no column of ours
HEADER_SEARCH = 5  # a header may sit under a few title rows («Отгрузка на 25.11»)
# What a list pasted from notes or a chat puts around the cells: a numbering or bullet before the order
# number (`1.`, `2)`, `•`, `-`), and a dash or colon after it (`52311001 — RA123…`, `52311001: RA123…`).
_MARKER = re.compile(r"\A\s*(?:[0-9]{1,3}[.)]\s+|[•·*▪‣◦–—-]\s*)(?=[#№]?\s*[0-9])")
_AFTER_ORDER = re.compile(r"\A([#№]?\s*[0-9]+)\s*(?::|\s[–—-])\s*(?=\S)")


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
    unreadable: bool = False  # a line of a list that is no row: `order` holds the line as written


def _cells(line: str) -> list[str]:
    """A line's cells. Without `;`, a tab or `,`, spaces separate them: the order number, then the
    track code (with the groups after it that have a digit: `1234 5678 90` as a label prints it), then
    the service, which takes the rest (`Почта России`)."""
    for separator in (";", "\t", ","):
        if separator in line:
            return [c.strip() for c in line.split(separator)]
    parts = line.split()
    if len(parts) < 3:
        return parts
    code, rest = parts[1:2], parts[2:]
    while rest and any(c.isdigit() for c in rest[0]):
        code.append(rest.pop(0))
    return [parts[0], " ".join(code), *([" ".join(rest)] if rest else [])]


def _row(number: int, line: str, columns: dict[str, int] | None) -> BulkRow | None:
    """One line of a message as a row, or None when it is none (no order number first, or no second
    cell with a digit: a track code has one, «12 апреля» is no row)."""
    line = _MARKER.sub("", line, count=1)
    line = _AFTER_ORDER.sub(r"\1 ", line, count=1)
    cells = _cells(line)
    if columns is not None:
        cells = [_at(cells, columns["order"]), _at(cells, columns["code"]), _at(cells, columns["service"])]
    if len(cells) < 2 or not _ORDER_CELL.fullmatch(cells[0]) or not any(c.isdigit() for c in cells[1]):
        return None
    return BulkRow(number, cells[0], cells[1], cells[2] if len(cells) > 2 else "")


def rows_from_text(text: str) -> list[BulkRow] | None:
    """The rows of a message, or None when it is not such a list.

    One line must be a row. Of several lines (a header line pasted from a table is skipped), more must
    be rows than not: then the others come back `unreadable`, to be named in the preview (a list with
    one odd line is not lost to "I did not understand"); otherwise it is no list.
    """
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    columns = _columns(_cells(lines[0][1])) if lines else None
    if columns is not None:
        lines = lines[1:]
    rows = [_row(n, line, columns) or BulkRow(n, line.strip(), "", unreadable=True) for n, line in lines]
    good = sum(not row.unreadable for row in rows)
    if good <= len(rows) - good:
        return None
    return rows


def _columns(header: Sequence[str]) -> dict[str, int] | None:
    """Where each column is, when a header row names them (a date's column is none of ours)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        folded = cell.casefold()
        if any(word in folded for word in _NOT_A_COLUMN):
            continue
        column = next((c for c, words in _HEADER_WORDS.items() if any(w in folded for w in words)), None)
        if column is not None and column not in found:
            found[column] = index
    return {"service": -1, **found} if "order" in found and "code" in found else None


def _at(cells: list[str], index: int) -> str:
    return cells[index] if 0 <= index < len(cells) else ""


def rows_from_table(table: Iterable[tuple[int, Sequence[str]]]) -> list[BulkRow]:
    """Rows of a table (a CSV or a sheet), each with its number: empty rows skipped, a header row
    recognised (among the first few, under a title), else a first row that is no order taken as one."""
    filled = [(n, [c.strip() for c in raw]) for n, raw in table if any(c.strip() for c in raw)]
    columns = {"order": 0, "code": 1, "service": 2}
    for at, (_, cells) in enumerate(filled[:HEADER_SEARCH]):
        named = _columns(cells)
        if named is not None:
            columns, filled = named, filled[at + 1 :]
            break
    else:
        first = filled[0][1] if filled else []
        if first and not any(c.isdigit() for cell in first[:2] for c in cell):
            filled = filled[1:]  # a header naming nothing we know (no digit: a typo'd line is no header)
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
