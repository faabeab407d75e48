"""Filling in a downloaded list template the way an office worker would: by its headers."""

from __future__ import annotations

import io
from typing import Any

import openpyxl


def fill_template(template: bytes, title: str, rows: list[dict[str, Any]]) -> bytes:
    """The template with the list title set and `rows` (keyed by Chinese header) filled in.

    Headers are matched without the `*` that marks required columns, so the test fails if the
    template loses a column it relies on.
    """
    book = openpyxl.load_workbook(io.BytesIO(template))
    items = book["条目"]
    columns = {str(cell.value).rstrip("*"): cell.column for cell in items[1] if cell.value}
    for number, row in enumerate(rows, start=2):
        for header, value in row.items():
            items.cell(row=number, column=columns[header], value=value)
    meta = book["清单信息"]
    for cells in meta.iter_rows(min_row=1, max_col=2):
        if cells[0].value == "清单名称":
            cells[1].value = title
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def column_letter(template: bytes, header: str) -> str:
    """The column letter of `header` in the template's item sheet."""
    book = openpyxl.load_workbook(io.BytesIO(template), read_only=True)
    try:
        first = next(book["条目"].iter_rows(min_row=1, max_row=1))
        return next(openpyxl.utils.get_column_letter(index)
                    for index, cell in enumerate(first, start=1)
                    if str(cell.value).rstrip("*") == header)
    finally:
        book.close()
