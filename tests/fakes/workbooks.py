"""XLSX files written part by part with zipfile, as a hostile sender would: a sheet of 16,384 cells a
row, a shared string of a gigabyte. Each part is streamed into the zip, so even a file that unpacks to
gigabytes costs little memory to make; Excel and openpyxl open these files like any other."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"

_CONTENT_TYPES = f"""<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="{_PKG}/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}.sharedStrings+xml"/>
</Types>"""
_PACKAGE_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{_PKG}/relationships">
<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="{MAIN}" xmlns:r="{_REL}">
<sheets><sheet name="Лист1" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""
_WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{_PKG}/relationships">
<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""


def workbook(
    rows: Iterable[bytes], strings: Iterable[bytes] = (), *, level: int = 9, cols: bytes = b""
) -> bytes:
    """An XLSX whose first sheet's `<sheetData>` holds `rows` (XML, streamed in), after `cols` (the
    columns' `<cols>`), and whose shared strings table holds `strings` (the XML between `<sst>` and
    `</sst>`)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _PACKAGE_RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        sheet_head = f'<worksheet xmlns="{MAIN}">{cols.decode()}<sheetData>'
        _stream(book, "xl/worksheets/sheet1.xml", sheet_head, rows, "</sheetData></worksheet>")
        _stream(book, "xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">', strings, "</sst>")
    return out.getvalue()


def _stream(book: zipfile.ZipFile, name: str, head: str, parts: Iterable[bytes], tail: str) -> None:
    # force_zip64: the size is not known up front and may pass 2 GiB.
    with book.open(name, "w", force_zip64=True) as member:
        member.write(head.encode())
        for part in parts:
            member.write(part)
        member.write(tail.encode())


def row(number: int, *cells: str, hidden: bool = False) -> bytes:
    """A row of inline-string cells from column A on."""
    written = "".join(f'<c t="inlineStr"><is><t>{cell}</t></is></c>' for cell in cells)
    shown = ' hidden="1"' if hidden else ""
    return f'<row r="{number}"{shown}>{written}</row>'.encode()
