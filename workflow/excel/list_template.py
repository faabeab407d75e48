"""The downloadable import template of one list kind.

Sheet 条目 (items) has one column per `list_columns` entry: a Chinese header (required ones end
with *), the English name and a hint in the header's note, and drop-down lists for units and
choice fields. Sheet 清单信息 (list) names the kind, title, issuing unit and period; 说明 tells
how to fill it in; the hidden sheet 选项 holds the drop-down values.
"""

from __future__ import annotations

from typing import Any

from workflow.access import Scope
from workflow.excel.cells import HEADER_FILL, new_workbook, to_bytes
from workflow.models import Person
from workflow.runtime import Runtime
from workflow.services.list_rows import (
    Column,
    assignable_units,
    default_issuer,
    issuer_units,
    list_columns,
)

ITEMS_SHEET = ("条目", "items")
LIST_SHEET = ("清单信息", "list")
INSTRUCTIONS_SHEET = "说明"
OPTIONS_SHEET = "选项"
#: the rows of the list sheet: key, Chinese label, English label
LIST_KEYS = (("kind", "清单类型", "kind"), ("title", "清单名称", "title"),
             ("issuer", "下达单位", "issuing unit"), ("period", "期间", "period"))
_DATA_ROWS = 1000


def template_filename(rt: Runtime, kind: str) -> str:
    return f"{rt.definitions.get(kind).label.zh}导入模板.xlsx"


def list_template(rt: Runtime, actor: Person | Scope, kind: str,
                  issuer_org_id: int | None = None) -> bytes:
    """The template for `kind`; unit drop-downs list the units under the issuing unit."""
    definition = rt.definitions.get(kind)
    columns = list_columns(definition)
    issuers = issuer_units(rt, actor)
    issuer = next((o for o in issuers if o.id == issuer_org_id), None)
    if issuer is None:
        issuer = default_issuer(issuers)
    units = [o.name for o in assignable_units(rt, issuer.id)] if issuer else []
    book = new_workbook()
    items = book.create_sheet(ITEMS_SHEET[0])
    _header(items, columns)
    _list_sheet(book.create_sheet(LIST_SHEET[0]), kind, issuer.name if issuer else "")
    _instructions(book.create_sheet(INSTRUCTIONS_SHEET), definition.label.zh, columns)
    options = book.create_sheet(OPTIONS_SHEET)
    _validations(items, options, columns, units)
    options.sheet_state = "hidden"
    book.active = 0
    return to_bytes(book)


def _header(sheet: Any, columns: list[Column]) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.label.zh + ("*" if column.required
                                                                       else ""))
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        note = column.label.en + (" (required)" if column.required else "")
        if column.hint:
            note += f"\n{column.hint.zh}\n{column.hint.en}"
        cell.comment = Comment(note, "Sandan", width=260, height=110)
        sheet.column_dimensions[get_column_letter(index)].width = 28 if column.type == "text" \
            else 16
    sheet.freeze_panes = "A2"


def _validations(sheet: Any, options: Any, columns: list[Column], units: list[str]) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    lists = [("unit", units)] + [(c.key, list(c.choices)) for c in columns if c.choices]
    for number, (key, values) in enumerate(lists, start=1):
        if not values:
            continue
        letter = get_column_letter(number)
        for row, value in enumerate(values, start=1):
            options.cell(row=row, column=number, value=value)
        target = next(i for i, c in enumerate(columns, start=1) if c.key == key)
        rule = DataValidation(type="list", allow_blank=True,
                              formula1=f"'{OPTIONS_SHEET}'!${letter}$1:${letter}${len(values)}",
                              showErrorMessage=key != "unit", error="请从下拉列表中选择。")
        sheet.add_data_validation(rule)
        column = get_column_letter(target)
        rule.add(f"{column}2:{column}{_DATA_ROWS}")
    for index, column_def in enumerate(columns, start=1):
        if column_def.type == "date":
            rule = DataValidation(type="date", operator="greaterThan", formula1="36526",
                                  allow_blank=True, error="请填写日期，如 2026-04-30。")
            sheet.add_data_validation(rule)
            column = get_column_letter(index)
            rule.add(f"{column}2:{column}{_DATA_ROWS}")


def _list_sheet(sheet: Any, kind: str, issuer: str) -> None:
    values = {"kind": kind, "issuer": issuer}
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 40
    sheet.column_dimensions["C"].width = 16
    for key, label_zh, label_en in LIST_KEYS:
        sheet.append([label_zh, values.get(key), label_en])


def _instructions(sheet: Any, label: str, columns: list[Column]) -> None:
    sheet.column_dimensions["A"].width = 100
    lines = [
        f"{label}导入说明 / How to fill in this template",
        "1. 在“清单信息”页填写清单名称（必填）；下达单位留空时使用您唯一的下达单位。",
        "   Sheet 清单信息: give the list a title; the issuing unit may stay empty if you "
        "issue from one unit only.",
        "2. 在“条目”页每行填写一个事项；标 * 的列必填。表头批注中有英文说明。",
        "   Sheet 条目: one item per row; columns marked * are required; the header notes "
        "explain each column in English.",
        "3. 承办单位填写单位名称或单位代码；责任人填写用户名或姓名；日期写成 2026-04-30。",
        "   Assignee unit: name or code; responsible people: username or name; dates as "
        "2026-04-30.",
        "4. 上传后先预览：整份文件全部正确并经您确认后才会下达，有错误时逐行列出行号和列号。",
        "   After uploading you see a preview; nothing is issued until the whole file is valid "
        "and you confirm. Problems are listed by row and column.",
        "",
        "列 / Columns:",
    ]
    for column in columns:
        flag = "（必填 required）" if column.required else ""
        choices = f"：{'、'.join(column.choices)}" if column.choices else ""
        lines.append(f"  {column.label.zh} / {column.label.en}{flag}{choices}")
    for line in lines:
        sheet.append([line])
