"""Many track codes at once: the rows of a pasted list, a CSV file or an XLSX file.

A row is `<order number> <track code> [service]`. In a message the cells are separated by `;`, a tab
or `,` (whichever the line has, in that order of preference), else by spaces: the code's groups are the
parts with a digit (`1234 5678 90`), the service the rest of the line (`Почта России` has a space). A
numbering or bullet before the number and a dash or colon after it (as notes and chats write lists)
are no cells. Files have the same three columns; a header row is
optional, and when it names the columns (заказ/order, трек/track, служба/service) they may stand in
any order. CSV may use `;`, a tab or `,`, in UTF-8, UTF-16 with its BOM (Excel's «Unicode text») or
Windows-1251, with any line ends; a text file with none of those is read line by line as a pasted
list is. Of a workbook, the visible rows and columns of the sheet it opens on are read; a workbook is
known by its content (a zip), whatever the file's name.

Reading a file is bounded (its size, the rows and columns kept, a deadline checked between rows) and
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
from bot.domain.errors import Refused

MAX_LINES = 500
MAX_ROWS_READ = MAX_LINES + 50  # rows of a file kept (a few header lines among them); the rest counted
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
ZIP = b"PK\x03\x04"  # how an XLSX (a zip) begins, whatever the file is called
# What no text has: control characters other than tab, line ends and form feeds (and ^Z, which ends old
# DOS files). A binary file read as Windows-1251 would be letters otherwise.
_BINARY = re.compile("[\x00-\x08\x0e-\x19\x1b-\x1f\x7f]")


class BulkFileError(Refused, ValueError):
    """The file is not taken; `key` names the catalogue text that says why, `args_` fill it."""


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
    rows = _rows_of_lines([(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()])
    good = sum(not row.unreadable for row in rows)
    if good <= len(rows) - good:
        return None
    return rows


def _rows_of_lines(lines: list[tuple[int, str]]) -> list[BulkRow]:
    """Each line (not blank) as a row, or `unreadable`; a first line naming the columns is no row."""
    columns = _columns(_cells(lines[0][1])) if lines else None
    if columns is not None:
        lines = lines[1:]
    return [_row(n, line, columns) or BulkRow(n, line.strip(), "", unreadable=True) for n, line in lines]


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


def rows_from_file(data: bytes, kind: str, deadline: float = math.inf) -> list[BulkRow]:
    """The rows of a table file: a workbook when it is one (a zip, even named `.csv`) or was sent as
    one (`kind` "xlsx"), else text. Raises `BulkFileError`."""
    if kind == "xlsx" or data.startswith(ZIP):
        return rows_from_xlsx(data, deadline)
    return rows_from_csv(data, deadline)


def rows_from_csv(data: bytes, deadline: float = math.inf) -> list[BulkRow]:
    """The rows of a CSV (or tab-separated text, or a list a line as a message has it). Raises
    `BulkFileError` for one that cannot be read (a broken encoding, binary, a line over MAX_CSV_LINE,
    a field over the csv module's 128 KiB), has over MAX_LINES rows, or is not read by the deadline."""
    try:
        text = decode_text(data)
    except UnicodeDecodeError:
        raise BulkFileError("bulk-file-unreadable") from None
    if _BINARY.search(text):
        raise BulkFileError("bulk-file-unreadable")
    sample = text[:4096]
    if not any(separator in sample for separator in (";", "\t", ",")):
        return _list_of_lines(text, deadline)
    delimiter = max((";", "\t", ","), key=sample.count)  # the most frequent; on a tie, the first
    table: list[tuple[int, list[str]]] = []
    more = 0
    try:
        for number, cells in enumerate(csv.reader(_lines(text), delimiter=delimiter), start=1):
            if any(c.strip() for c in cells):
                if len(table) < MAX_ROWS_READ:
                    table.append((number, cells[:MAX_COLUMNS]))
                else:
                    more += 1
            _in_time(deadline)
    except csv.Error:
        raise BulkFileError("bulk-file-unreadable") from None
    return _at_most_max_lines(rows_from_table(table), more)


def _list_of_lines(text: str, deadline: float) -> list[BulkRow]:
    """A text without separators, read as a pasted list is: each line a row or named as unreadable
    (none readable: no rows)."""
    lines: list[tuple[int, str]] = []
    more = 0
    for number, line in enumerate(_lines(text), start=1):
        if line.strip():
            if len(lines) < MAX_ROWS_READ:
                lines.append((number, line.rstrip("\r\n")))
            else:
                more += 1
        _in_time(deadline)
    rows = _rows_of_lines(lines)
    return _at_most_max_lines(rows, more) if any(not row.unreadable for row in rows) else []


def _at_most_max_lines(rows: list[BulkRow], more: int) -> list[BulkRow]:
    """The rows, or `BulkFileError` saying how many there are when over MAX_LINES (`more` were counted
    past those kept)."""
    count = len(rows) + more
    if count > MAX_LINES:
        raise BulkFileError("bulk-too-many", count=count, limit=MAX_LINES)
    return rows


def _in_time(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise BulkFileError("bulk-file-too-slow")


def _lines(text: str) -> Iterator[str]:
    """The lines of a text, ending in LF, CR LF or a lone CR (old Macs), each bounded."""
    for line in io.StringIO(text, newline=""):
        if len(line) > MAX_CSV_LINE:
            raise BulkFileError("bulk-file-unreadable")
        yield line


def rows_from_xlsx(data: bytes, deadline: float = math.inf) -> list[BulkRow]:
    """The visible rows and columns of the sheet the workbook opens on (rows hidden by a filter or by
    hand, hidden columns and hidden sheets are skipped); numbers written as numbers come out as digits,
    not `1.2E+10`. Raises `BulkFileError` for a file that is no workbook, is too large unpacked, has
    over MAX_LINES rows, or is not read by the deadline."""
    try:
        table, more = xlsx.visible_rows(data, columns=MAX_COLUMNS, rows=MAX_ROWS_READ, deadline=deadline)
    except xlsx.TooLarge:
        raise BulkFileError("bulk-file-too-much") from None
    except xlsx.TooSlow:
        raise BulkFileError("bulk-file-too-slow") from None
    except xlsx.Unreadable:
        raise BulkFileError("bulk-file-unreadable") from None
    return _at_most_max_lines(rows_from_table(table), more)
