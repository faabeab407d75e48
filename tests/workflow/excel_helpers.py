"""Filling downloaded list templates the way a user does in Excel (with openpyxl)."""

from __future__ import annotations

import io
from typing import Any

import openpyxl


def fill_template(template: bytes, rows: list[dict[str, Any]], *, title: str | None = "测试清单",
                  issuer: str | None = None) -> bytes:
    """The template with `rows` (by Chinese header, * optional) and the list sheet filled in."""
    book = openpyxl.load_workbook(io.BytesIO(template))
    items = book["条目"]
    headers = [str(c.value).rstrip("*") for c in items[1]]
    for number, row in enumerate(rows, start=2):
        for key, value in row.items():
            items.cell(row=number, column=headers.index(key) + 1, value=value)
    meta = book["清单信息"]
    for cells in meta.iter_rows(min_row=1, max_row=4):
        if cells[0].value == "清单名称" and title is not None:
            cells[1].value = title
        if cells[0].value == "下达单位" and issuer is not None:
            cells[1].value = issuer
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_rows(data: bytes, sheet: str) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        return [tuple(r) for r in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()
