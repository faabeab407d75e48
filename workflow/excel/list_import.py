"""Reading a filled-in list template and checking it, row by row, before anything is issued.

`check_workbook` answers what the file would create and every problem with its row and column
("第5行 C列 截止日期：…"); the caller shows that, and issues the plan (`issue_plan`) only once
the file is free of problems and the user confirmed. Headers may be the Chinese labels (with or
without *), the English labels or the field names, in any order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflow.access import Scope
from workflow.definitions.model import Definition
from workflow.errors import InvalidInput
from workflow.excel.cells import open_workbook
from workflow.excel.list_template import ITEMS_SHEET, LIST_KEYS, LIST_SHEET
from workflow.models import Person
from workflow.runtime import Runtime
from workflow.services.list_rows import (
    Checked,
    Column,
    Problem,
    RawRow,
    check_rows,
    default_issuer,
    issuer_units,
    list_columns,
)

MAX_ROWS = 5000
#: blank rows cost nothing to store but something to read: a sheet may not reach beyond this row
MAX_SHEET_ROW = 20_000


@dataclass
class ListFile:
    """The cells of an uploaded template: the list sheet's values and the item rows."""

    meta: dict[str, Any] = field(default_factory=dict)
    header: list[Any] = field(default_factory=list)
    rows: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)


def check_workbook(
    rt: Runtime, actor: Person | Scope, data: bytes, filename: str, *, kind: str | None = None,
    title: str | None = None, issuer_org_id: int | None = None,
) -> Checked:
    """What the uploaded workbook would issue, or every problem in it.

    `kind`, `title` and `issuer_org_id` override the list sheet (the web form asks for them).
    Raises InvalidInput when the file is not a workbook at all, NotFound/NotAllowed when the
    issuing unit is unknown or the actor may not issue there.
    """
    file = read_list_file(data, filename)
    kind = kind or _text(file.meta.get("kind"))
    if not kind:
        raise InvalidInput(f"{filename}：“清单信息”表没有写明清单类型，请重新下载模板 / the sheet "
                           "清单信息 does not say which kind of list this is; download the "
                           "template again")
    if kind not in rt.definitions.kinds():
        raise InvalidInput(f"{filename}：没有“{kind}”这种清单 / unknown list kind '{kind}' "
                           f"(known: {', '.join(rt.definitions.kinds())})")
    definition = rt.definitions.get(kind)
    header_problems, rows = _rows(definition, file)
    issuer = issuer_org_id or _issuer_id(rt, actor, file.meta.get("issuer"))
    checked = check_rows(rt, actor, kind=kind, title=title or _text(file.meta.get("title")) or "",
                         issuer_org_id=issuer, rows=rows, period=_text(file.meta.get("period")))
    if header_problems:
        checked.problems[:0] = header_problems
        checked.plan = None
    return checked


def read_list_file(data: bytes, filename: str) -> ListFile:
    """The list sheet and the item rows; InvalidInput when the item sheet is missing."""
    book = open_workbook(data, filename)
    try:
        sheets = {ws.title.strip().lower(): ws for ws in book.worksheets}
        items = next((sheets[n] for n in ITEMS_SHEET if n in sheets), None)
        if items is None:
            raise InvalidInput(f"{filename}：没有“条目”工作表，请在下载的模板中填写 / no sheet "
                               "named 条目 (items); fill in the sheet of the downloaded template")
        file = ListFile()
        meta = next((sheets[n] for n in LIST_SHEET if n in sheets), None)
        if meta is not None:
            file.meta = _meta(meta)
        cells = items.iter_rows(values_only=True)
        file.header = list(next(cells, None) or ())
        for number, row in enumerate(cells, start=2):
            if number > MAX_SHEET_ROW:
                raise InvalidInput(f"{filename}：“条目”表超过 {MAX_SHEET_ROW} 行 / the sheet 条目 "
                                   f"goes beyond row {MAX_SHEET_ROW}")
            if any(_text(v) for v in row):
                if len(file.rows) >= MAX_ROWS:
                    raise InvalidInput(f"{filename}：一个文件最多 {MAX_ROWS} 个事项 / more than "
                                       f"{MAX_ROWS} items in one file")
                file.rows.append((number, tuple(row)))
    finally:
        book.close()
    return file


def _meta(sheet: Any) -> dict[str, Any]:
    aliases = {alias: key for key, zh, en in LIST_KEYS for alias in (key, zh, en)}
    found: dict[str, Any] = {}
    for row in sheet.iter_rows(min_row=1, max_row=20, max_col=2, values_only=True):
        label = _text(row[0]) if row else None
        if label and label.lower() in aliases and len(row) > 1:
            found[aliases[label.lower()]] = row[1]
    return found


def _rows(definition: Definition, file: ListFile) -> tuple[list[Problem], list[RawRow]]:
    from openpyxl.utils import get_column_letter

    columns = list_columns(definition)
    problems: list[Problem] = []
    keys: dict[int, str] = {}
    for index, title in enumerate(file.header):
        text = _text(title)
        if text is None:
            continue
        column = _column(columns, text)
        letter = get_column_letter(index + 1)
        if column is None:
            problems.append(Problem(1, "", f"{letter}列“{text}”不是这类清单的列，请使用模板。",
                                    f"column {letter} '{text}' is not a column of this kind "
                                    "of list; use the template"))
        else:
            keys[index] = column.key
    for column in columns:
        if column.required and column.key not in keys.values():
            problems.append(Problem(1, column.key, f"缺少必填列“{column.label.zh}”。",
                                    f"the required column '{column.label.en}' is missing"))
    letters = {key: get_column_letter(i + 1) for i, key in keys.items()}
    rows = [RawRow(number, {key: cells[i] for i, key in keys.items() if i < len(cells)}, letters)
            for number, cells in file.rows]
    return problems, rows


def _column(columns: list[Column], header: str) -> Column | None:
    wanted = header.rstrip("*＊ ").strip().lower()
    for column in columns:
        if wanted in (column.key, column.label.zh.lower(), column.label.en.lower()):
            return column
    return None


def _issuer_id(rt: Runtime, actor: Person | Scope, named: Any) -> int:
    units = issuer_units(rt, actor)
    text = _text(named)
    if text:
        found = [o for o in units if text in (o.name, o.code)]
        if len(found) == 1:
            return found[0].id
        raise InvalidInput(f"下达单位“{text}”不是您可以下达清单的单位 / you cannot issue lists "
                           f"from '{text}'")
    found_default = default_issuer(units)
    if found_default is not None:
        return found_default.id
    if not units:
        raise InvalidInput("您在任何单位都没有下达清单的权限 / you hold the issuer role nowhere")
    raise InvalidInput("请在“清单信息”页填写下达单位 / name the issuing unit in sheet 清单信息")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
