"""Reading an organisation file (units and people) from YAML or Excel into located rows.

Both formats give the same rows: sheet `units` (code, name, kind, parent) and sheet `people`
(username, name, unit, post, roles, inspects, email, mobile). Column and sheet names may be
English or Chinese (代码, 名称, …). Every row knows where it came from ("sheet units, row 7" or
"units entry 3 (line 12)") so each problem names its row and column. Workbooks are parsed with
defusedxml guarding the XML (openpyxl uses it when installed; we refuse to parse without it).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workflow.errors import ConfigError, InvalidInput

MAX_ROWS = 50_000
SHEETS: dict[str, tuple[str, ...]] = {"units": ("units", "单位"), "people": ("people", "人员")}
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "units": {"code": ("code", "代码", "单位代码"), "name": ("name", "名称", "单位名称"),
              "kind": ("kind", "类型"), "parent": ("parent", "上级", "上级代码")},
    "people": {"username": ("username", "用户名"), "name": ("name", "姓名"),
               "unit": ("unit", "单位", "单位代码"), "post": ("post", "职务"),
               "roles": ("roles", "角色"), "inspects": ("inspects", "督查单位"),
               "email": ("email", "邮箱"), "mobile": ("mobile", "手机")},
}
REQUIRED = {"units": ("code", "name", "kind"), "people": ("username", "name", "unit")}


@dataclass(frozen=True)
class Row:
    """One unit or person as read, with where it came from."""

    sheet: str
    where: str
    values: dict[str, Any]


@dataclass
class OrgFile:
    """The rows of both sheets and the problems found while reading them."""

    name: str
    units: list[Row] = field(default_factory=list)
    people: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def problem(self, where: str, column: str, message: str) -> None:
        self.problems.append(f"{where}, column {column}: {message}")

    def rows(self, sheet: str) -> list[Row]:
        return self.units if sheet == "units" else self.people


def read_org_file(path: Path) -> OrgFile:
    """Read `path` (.yaml, .yml or .xlsx); InvalidInput when the file itself is unreadable."""
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _read_yaml(path)
    if suffix == ".xlsx":
        return _read_xlsx(path)
    raise InvalidInput(f"{path.name}: organisation files are .yaml, .yml or .xlsx")


def _column(sheet: str, header: str) -> str | None:
    wanted = header.strip().lower()
    return next((name for name, aliases in COLUMNS[sheet].items() if wanted in aliases), None)


def _cell(value: Any) -> Any:
    """Spreadsheet and YAML scalars as text: 12.0 → '12', blanks → None; lists kept."""
    if value is None or isinstance(value, list):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _read_yaml(path: Path) -> OrgFile:
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise InvalidInput(f"{path.name}: not valid YAML{line}") from None
    if not isinstance(data, dict) or root is None:
        raise InvalidInput(f"{path.name}: expected a mapping with 'units' and/or 'people'")
    result = OrgFile(path.name)
    lines = {key.value: value for key, value in root.value}
    for key, entries in data.items():
        sheet = next((s for s, aliases in SHEETS.items() if str(key) in aliases), None)
        if sheet is None:
            result.problems.append(f"{path.name}: unknown section '{key}' (use units, people)")
            continue
        if not isinstance(entries, list):
            result.problems.append(f"{path.name}: '{key}' must be a list")
            continue
        for number, (entry, node) in enumerate(zip(entries, lines[key].value, strict=True), 1):
            where = f"{sheet} entry {number} (line {node.start_mark.line + 1})"
            _add_row(result, sheet, where, entry)
    return result


def _add_row(result: OrgFile, sheet: str, where: str, entry: Any) -> None:
    if not isinstance(entry, dict):
        result.problems.append(f"{where}: expected a mapping of column: value")
        return
    values: dict[str, Any] = {}
    for header, value in entry.items():
        column = _column(sheet, str(header))
        if column is None:
            known = ", ".join(COLUMNS[sheet])
            result.problem(where, str(header), f"unknown column (known: {known})")
            continue
        values[column] = _cell(value)
    result.rows(sheet).append(Row(sheet, where, values))


def _read_xlsx(path: Path) -> OrgFile:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if not openpyxl.DEFUSEDXML:
        raise ConfigError("defusedxml must be installed to read workbooks safely")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidInput(f"{path.name}: not a readable .xlsx workbook ({exc})") from None
    result, found = OrgFile(path.name), 0
    try:
        for sheet_ws in book.worksheets:
            title = sheet_ws.title.strip().lower()
            sheet = next((s for s, aliases in SHEETS.items() if title in aliases), None)
            if sheet is not None:  # other sheets (instructions, lists of values) are ignored
                found += 1
                _read_sheet(result, sheet, sheet_ws.iter_rows(values_only=True))
    finally:
        book.close()
    if not found:
        result.problems.append(f"{path.name}: no sheet named units/单位 or people/人员")
    elif not result.units and not result.people and not result.problems:
        result.problems.append(f"{path.name}: the sheets have no rows to import")
    return result


def _read_sheet(result: OrgFile, sheet: str, rows: Any) -> None:
    header = next(rows, None) or ()
    columns: dict[int, str] = {}
    for index, title in enumerate(header):
        if _cell(title) is None:
            continue
        column = _column(sheet, str(title))
        if column is None:
            result.problem(f"sheet {sheet}, row 1", str(title),
                           f"unknown column (known: {', '.join(COLUMNS[sheet])})")
        else:
            columns[index] = column
    for missing in set(REQUIRED[sheet]) - set(columns.values()):
        result.problem(f"sheet {sheet}, row 1", missing, "this column is missing")
    for number, cells in enumerate(rows, start=2):
        if number > MAX_ROWS:
            result.problems.append(f"sheet {sheet}: more than {MAX_ROWS} rows")
            return
        values = {columns[i]: _cell(v) for i, v in enumerate(cells) if i in columns}
        if any(v is not None for v in values.values()):
            result.rows(sheet).append(Row(sheet, f"sheet {sheet}, row {number}", values))


def write_template(path: Path) -> None:
    """An empty workbook with both sheets and their (Chinese / English) header rows."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet, columns in COLUMNS.items():
        ws = book.create_sheet(sheet)
        ws.append(list(columns))
    book.save(path)
