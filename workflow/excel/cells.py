"""Workbook plumbing shared by templates, imports and exports: open safely, write plainly.

Text written to a cell never becomes a formula: a value starting with = + - or @ is prefixed
with an apostrophe (the usual defence against formula injection in exported spreadsheets).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from workflow.errors import ConfigError, InvalidInput

HEADER_FILL = "DDEBF7"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
_FORMULA_START = ("=", "+", "-", "@")


def open_workbook(data: bytes, filename: str) -> Any:
    """A read-only workbook from uploaded bytes; InvalidInput when it is not an .xlsx file."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if not openpyxl.DEFUSEDXML:
        raise ConfigError("defusedxml must be installed to read workbooks safely")
    megabytes = MAX_UPLOAD_BYTES // (1024 * 1024)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"{filename}：文件超过 {megabytes} MB / larger than {megabytes} MB")
    if not data.startswith(b"PK"):
        raise InvalidInput(f"{filename}：不是 Excel 工作簿，请另存为 .xlsx 后重新上传 / not an "
                           "Excel workbook (.xlsx); save it as .xlsx and upload it again")
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError,
            TypeError) as exc:
        raise InvalidInput(f"{filename}：无法读取这个 .xlsx 文件 / not a readable .xlsx "
                           f"workbook ({exc})") from None


def new_workbook(*, write_only: bool = False) -> Any:
    import openpyxl

    book = openpyxl.Workbook(write_only=write_only)
    if not write_only:
        book.remove(book.active)
    return book


def to_bytes(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def safe(value: Any, tz: ZoneInfo | None = None) -> Any:
    """A value ready for a cell: times in the local zone without tzinfo, text never a formula."""
    if isinstance(value, datetime):
        local = value.astimezone(tz) if tz and value.tzinfo else value
        return local.replace(tzinfo=None, microsecond=0)
    if isinstance(value, str) and len(value) > 1 and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}: {v}" for k, v in value.items())
    return value


def header_cells(sheet: Any, titles: Sequence[str], notes: Sequence[str | None] = ()) -> list[Any]:
    """Bold, shaded header cells for a write-only sheet, with an optional note on each."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    cells = []
    for index, title in enumerate(titles):
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        note = notes[index] if index < len(notes) else None
        if note:
            cell.comment = Comment(note, "Sandan")
        cells.append(cell)
    return cells


def open_table(book: Any, title: str, headers: Sequence[str], *, widths: Sequence[int] = (),
               notes: Sequence[str | None] = ()) -> Any:
    """A new sheet of a write-only workbook with its header row, frozen under the header.

    Rows are then added with `add_row`, as they are read: a large export streams page by page
    into the workbook's temporary files instead of piling up in memory.
    """
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append(header_cells(sheet, headers, notes))
    return sheet


def add_row(sheet: Any, row: Sequence[Any], tz: ZoneInfo | None = None) -> None:
    sheet.append([safe(v, tz) for v in row])


def write_table(book: Any, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                *, tz: ZoneInfo | None = None, widths: Sequence[int] = (),
                notes: Sequence[str | None] = ()) -> None:
    """One whole sheet: the header row, then the rows."""
    sheet = open_table(book, title, headers, widths=widths, notes=notes)
    for row in rows:
        add_row(sheet, row, tz)
