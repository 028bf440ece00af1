"""The visible rows and columns of a workbook's sheet, read as a stream within bounds of size and time.

Not openpyxl: a file any courier can send must be read within bounds, and openpyxl (3.1, read-only
mode included) loads the whole shared-strings table, builds every cell of a row (16,384 of them if the
file says so) before the first ten can be taken, and keeps the rows' attributes, `hidden` among them,
inside its parser. An XLSX is a zip of XML parts; here they go through expat a chunk at a time:
- before a part is unpacked, the sizes the zip's directory states are checked (unpacking never goes
  past them, and a part longer than stated fails its CRC), so a zip bomb stays packed;
- the sheet read is the one Excel opens on (the active tab), or the first visible one if that one is
  hidden: a hidden sheet is nobody's list;
- of the sheet, the first `columns` visible cells of each row are kept (hidden columns are skipped as
  if they were not there), rows hidden by a filter or by hand (`<row hidden="1">`) are skipped, `rows`
  rows with something in them are kept and the rest only counted;
- then the shared strings are read only up to the last one those cells use, and only those are kept;
- every text is cut at MAX_CELL characters, a DTD is refused, and the deadline is checked after
  every chunk and every row, so the worker process stops on its own (or is killed at its time bound
  while expat is inside one huge tag).
"""

from __future__ import annotations

import io
import posixpath
import string
import struct
import time
import zipfile
import zlib
from collections.abc import Callable
from typing import NoReturn
from xml.parsers import expat

MAX_MEMBERS = 500  # a workbook has a dozen parts; more is no table a person typed
MAX_TOTAL = 64 * 1024 * 1024  # all parts together, unpacked (only those below are ever unpacked)
MAX_PART = 8 * 1024 * 1024  # the sheet, the shared strings: a few thousand rows of an export fit
MAX_SMALL_PART = 1024 * 1024  # the workbook and the relationships between parts
MAX_CELL = 256  # characters kept of a cell; a track code is a few dozen
CHUNK = 64 * 1024
# Bytes without a `>`: expat reads a tag in one go, and a tag of a million attributes would take it
# seconds. Excel's longest cell (32,767 characters) is 128 KiB in UTF-8. (A `>` inside an attribute's
# value passes this; the worker's time bound holds then.)
MAX_TAG = 192 * 1024
MAX_ROW = 1_048_576  # Excel's last row
MAX_COLUMN = 26 + 26**2 + 26**3  # `ZZZ`, the most three letters name (Excel stops at `XFD`, 16,384)
# Excel writes a number with 15 significant digits: of a whole one from 10^15 up, the last digits
# are not what was typed (a 16-digit code becomes `1.23456789012345E+15`).
EXACT_BELOW = 10**15

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main "
_ROW, _CELL, _VALUE, _TEXT, _PHONETIC = (_MAIN + n for n in ("row", "c", "v", "t", "rPh"))
_SHARED = _MAIN + "si"
_COLUMNS = _MAIN + "col"
_RELATIONSHIP = "http://schemas.openxmlformats.org/package/2006/relationships Relationship"
_SHEET, _VIEW = _MAIN + "sheet", _MAIN + "workbookView"
_RELATION_ID = "http://schemas.openxmlformats.org/officeDocument/2006/relationships id"


class WorkbookError(Exception):
    """The workbook is not read."""


class Unreadable(WorkbookError):
    """It is no workbook (or a broken one)."""


class TooLarge(WorkbookError):
    """A part, unpacked, is over its limit (or there are too many parts)."""


class TooSlow(WorkbookError):
    """The deadline passed."""


class _Enough(Exception):
    """Everything needed is read: the rest of the part is not."""


Table = list[tuple[int, list[str]]]


def visible_rows(data: bytes, *, columns: int, rows: int, deadline: float) -> tuple[Table, int]:
    """(row number, its first `columns` visible cells as text) for each visible row with something in
    it, in order, at most `rows` of them; and how many more such rows there are. Raises `TooLarge`,
    `TooSlow` or `Unreadable`."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            infos = book.infolist()
            if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_TOTAL:
                raise TooLarge
            sheet_path, strings_path = _parts(book, deadline)
            sheet = _Sheet(columns, rows, deadline)
            _parse(book, sheet_path, MAX_PART, deadline, sheet.start, sheet.end, sheet.text)
            strings = _SharedStrings(sheet.shared_wanted(), deadline)
            if strings.wanted:
                if strings_path is None:
                    raise Unreadable
                _parse(book, strings_path, MAX_PART, deadline, strings.start, strings.end, strings.text)
            return sheet.table(strings.found), sheet.more
    except (
        zipfile.BadZipFile,
        expat.ExpatError,
        ValueError,  # a number that is none, a text in no encoding
        EOFError,  # a part cut short
        zlib.error,
        struct.error,
        NotImplementedError,  # a compression zipfile does not know
    ):
        raise Unreadable from None


def _parts(book: zipfile.ZipFile, deadline: float) -> tuple[str, str | None]:
    """Where the sheet to read and the shared strings are (as the package's relationships say)."""
    package = _relationships(book, "_rels/.rels", deadline)
    workbook = next((t for kind, t in package.values() if kind.endswith("/officeDocument")), None)
    workbook = _resolved("", workbook or "xl/workbook.xml")
    sheets: list[tuple[str, bool]] = []  # each sheet's relationship, and whether it is shown
    active: list[int] = []  # the tab the workbook opens on (its first view's)

    def on_element(name: str, attrs: dict[str, str]) -> None:
        if name == _SHEET:
            sheets.append((attrs.get(_RELATION_ID, ""), attrs.get("state", "visible") == "visible"))
        elif name == _VIEW and not active:
            active.append(int(attrs.get("activeTab", "0")))

    _parse(book, workbook, MAX_SMALL_PART, deadline, on_element)
    folder, file = posixpath.split(workbook)
    related = _relationships(book, posixpath.join(folder, "_rels", file + ".rels"), deadline)
    tab = active[0] if active and 0 <= active[0] < len(sheets) and sheets[active[0]][1] else None
    shown = tab if tab is not None else next((n for n, (_, visible) in enumerate(sheets) if visible), None)
    if shown is None or sheets[shown][0] not in related:
        raise Unreadable
    strings = next((t for kind, t in related.values() if kind.endswith("/sharedStrings")), None)
    sheet = _resolved(folder, related[sheets[shown][0]][1])
    return sheet, None if strings is None else _resolved(folder, strings)


def _relationships(book: zipfile.ZipFile, path: str, deadline: float) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}

    def on_relationship(name: str, attrs: dict[str, str]) -> None:
        if name == _RELATIONSHIP:
            found[attrs.get("Id", "")] = (attrs.get("Type", ""), attrs.get("Target", ""))

    _parse(book, path, MAX_SMALL_PART, deadline, on_relationship)
    return found


def _resolved(folder: str, target: str) -> str:
    """A part's path in the zip: a target is relative to its part's folder, or absolute."""
    path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
    return posixpath.normpath(path)


def _parse(
    book: zipfile.ZipFile,
    path: str,
    limit: int,
    deadline: float,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
) -> None:
    """Feed a part to expat, a chunk at a time, after checking its unpacked size."""
    try:
        info = book.getinfo(path)
    except KeyError:
        raise Unreadable from None
    if info.file_size > limit:
        raise TooLarge
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        # encrypted, or bzip2/lzma: zipfile unpacks those without a bound on what one read gives
        raise Unreadable
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _no_doctype  # no part of a workbook has one: no entity expands
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    try:
        with book.open(info) as part:
            since_tag_end = 0
            while chunk := part.read(CHUNK):
                last = chunk.rfind(b">")
                since_tag_end = since_tag_end + len(chunk) if last < 0 else len(chunk) - last - 1
                if since_tag_end > MAX_TAG:
                    raise Unreadable
                parser.Parse(chunk, False)
                _in_time(deadline)
        parser.Parse(b"", True)
    except _Enough:
        pass


def _no_doctype(*_: object) -> NoReturn:
    raise Unreadable


def _in_time(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise TooSlow


class _Text:
    """The text of the element being read, cut at MAX_CELL characters."""

    def __init__(self) -> None:
        self.reading = False
        self.parts: list[str] = []
        self.length = 0

    def begin(self) -> None:
        self.parts, self.length = [], 0

    def text(self, data: str) -> None:
        if self.reading and self.length < MAX_CELL:
            self.parts.append(data)
            self.length += len(data)

    def value(self) -> str:
        return "".join(self.parts)[:MAX_CELL]


class _Sheet(_Text):
    """The sheet's rows, as `<row>` and `<c>` elements go by; shared strings as their numbers."""

    def __init__(self, columns: int, rows: int, deadline: float) -> None:
        super().__init__()
        self.columns, self.rows, self.deadline = columns, rows, deadline
        self.kept: list[tuple[int, list[str | int]]] = []
        self.more = 0  # rows with something in them past the `rows` kept
        self.hidden: list[tuple[int, int]] = []  # ranges of hidden columns (`<col>`, before the rows)
        self.places: list[int] | None = None  # each column's place among the kept ones (from 1), or 0
        self.number = 0  # the row being read
        self.cells: list[str | int] | None = None  # its cells; None while in a hidden row
        self.column = 0  # the cell being read, from 1
        self.place = 0  # its place among the kept columns, from 1
        self.kind = ""  # its type: n(umber), s(hared string), inlineStr, str, b(oolean), e(rror), d(ate)
        self.in_cell = self.phonetic = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == _CELL:
            ref = attrs.get("r")
            self.column = _column(ref) if ref else self.column + 1
            places = self.places if self.places is not None else self._places()
            self.place = places[self.column] if self.column <= MAX_COLUMN else 0
            self.in_cell = self.cells is not None and self.place > 0
            if self.in_cell:
                self.kind = attrs.get("t", "n")
                self.begin()
        elif not self.in_cell:
            if name == _ROW:
                number = attrs.get("r")
                self.number = int(number) if number else self.number + 1
                if not 1 <= self.number <= MAX_ROW:
                    raise Unreadable
                self.column = 0
                hidden = attrs.get("hidden") in ("1", "true")
                self.cells = None if hidden else [""] * self.columns
            elif name == _COLUMNS and attrs.get("hidden") in ("1", "true"):
                self.hidden.append((int(attrs.get("min", "0")), int(attrs.get("max", "0"))))
        elif name == _VALUE or (name == _TEXT and not self.phonetic):
            self.reading = True  # `<v>` is the value; `<t>` are pieces of an inline string
        elif name == _PHONETIC:
            self.phonetic = True

    def _places(self) -> list[int]:
        """Where each column goes among the kept ones: hidden columns are skipped (0), and so are the
        visible ones past the first `columns`."""
        hidden = [0] * (MAX_COLUMN + 2)  # +1 where a hidden range starts, -1 past its end
        for first, last in self.hidden:
            first, last = max(first, 1), min(last, MAX_COLUMN)
            if first <= last:
                hidden[first] += 1
                hidden[last + 1] -= 1
        self.places = places = [0] * (MAX_COLUMN + 1)
        depth = place = 0
        for column in range(1, MAX_COLUMN + 1):
            depth += hidden[column]
            if depth == 0:
                place += 1
                if place > self.columns:
                    break
                places[column] = place
        return places

    def end(self, name: str) -> None:
        if not self.in_cell:
            if name == _ROW:
                if self.cells is not None and any(c != "" for c in self.cells):
                    if len(self.kept) < self.rows:
                        self.kept.append((self.number, self.cells))
                    else:
                        self.more += 1
                self.cells = None
                _in_time(self.deadline)
        elif name == _CELL:
            if self.cells is not None:  # always: a cell is read only in a visible row
                self.cells[self.place - 1] = _cell(self.kind, self.value())
            self.in_cell = self.reading = False
        elif name in (_VALUE, _TEXT):
            self.reading = False
        elif name == _PHONETIC:
            self.phonetic = False

    def shared_wanted(self) -> set[int]:
        return {c for _, cells in self.kept for c in cells if isinstance(c, int)}

    def table(self, strings: dict[int, str]) -> Table:
        try:
            return [(n, [c if isinstance(c, str) else strings[c] for c in cells]) for n, cells in self.kept]
        except KeyError:  # a cell names a shared string the table does not have
            raise Unreadable from None


def _column(ref: str) -> int:
    """1 for `A7`, 28 for `AB7` (up to `XFD`, three letters)."""
    letters = len(ref) - len(ref.lstrip(string.ascii_uppercase))
    if not 1 <= letters <= 3:
        raise Unreadable
    column = 0
    for letter in ref[:letters]:
        column = column * 26 + ord(letter) - 64
    return column


def _cell(kind: str, text: str) -> str | int:
    """A cell's text; a shared string's number (looked up later); a whole number as digits, however it
    was written (`12345678901`, `1.2345678901E10`), never `1.2E+10` — but one of 16 digits or more
    written as a float keeps its E notation (`1.23456789012345E+15`): its last digits are lost, and
    made-up ones would send a code that is nobody's."""
    if kind == "s":
        return int(text)
    if kind == "b":
        return "TRUE" if text.strip() == "1" else "FALSE"
    if kind != "n" or not text:
        return text
    try:
        return str(int(text))
    except ValueError:
        number = float(text)
    if not number.is_integer():
        return str(number)
    return str(int(number)) if abs(number) < EXACT_BELOW else f"{number:.15G}"


class _SharedStrings(_Text):
    """The wanted entries of the shared-strings table, up to the last one wanted."""

    def __init__(self, wanted: set[int], deadline: float) -> None:
        super().__init__()
        self.wanted, self.deadline = wanted, deadline
        self.last = max(wanted, default=-1)
        self.found: dict[int, str] = {}
        self.index = -1
        self.phonetic = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == _SHARED:
            self.index += 1
            self.begin()
        elif name == _TEXT and not self.phonetic and self.index in self.wanted:
            self.reading = True
        elif name == _PHONETIC:
            self.phonetic = True

    def end(self, name: str) -> None:
        if name == _TEXT:
            self.reading = False
        elif name == _PHONETIC:
            self.phonetic = False
        elif name == _SHARED:
            if self.index in self.wanted:
                self.found[self.index] = self.value()
            if self.index >= self.last:
                raise _Enough
