"""Issuing a list from the Excel template: round trip, row-by-row problems, nothing half-made."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.conftest import World
from tests.workflow.excel_helpers import fill_template, sheet_rows
from workflow.errors import InvalidInput, NotAllowed
from workflow.excel.list_import import check_workbook
from workflow.excel.list_template import list_template
from workflow.models import Item
from workflow.services.list_rows import issue_plan

GOOD = {"事项名称": "开展主题党日活动", "承办单位": "甲公司党支部", "截止日期": date(2026, 4, 30),
        "任务类别": "党建", "任务内容": "按期开展并形成记录"}


def _items(world: World) -> int:
    with world.rt.read() as session:
        return int(session.scalar(select(func.count()).select_from(Item)) or 0)


def _check(world: World, data: bytes, who: str = "issuer"):  # type: ignore[no-untyped-def]
    return check_workbook(world.rt, world.person(who), data, "清单.xlsx")


def test_template_has_the_columns_lists_and_instructions(world: World) -> None:
    data = list_template(world.rt, world.person("issuer"), "task")
    header = sheet_rows(data, "条目")[0]
    assert header[:3] == ("事项名称*", "承办单位*", "截止日期")
    assert "任务类别*" in header and "考核分值" in header
    options = [r[0] for r in sheet_rows(data, "选项")]
    assert {"甲公司党支部", "乙公司党支部", "第一党小组"} <= set(options)
    assert ("清单类型", "task", "kind") in sheet_rows(data, "清单信息")
    assert any("导入说明" in str(r[0]) for r in sheet_rows(data, "说明"))


def test_round_trip_issues_every_row_once(world: World) -> None:
    template = list_template(world.rt, world.person("issuer"), "task")
    rows = [GOOD, {**GOOD, "事项名称": "收缴党费", "承办单位": "乙公司党支部",
                   "第一责任人": "handler_b", "截止日期": "2026/5/15"}]
    checked = _check(world, fill_template(template, rows))
    assert checked.ok, [p.text() for p in checked.problems]
    assert [p.unit for p in checked.preview] == ["甲公司党支部", "乙公司党支部"]
    assert checked.preview[1].primary == "handler_b同志"
    assert checked.preview[1].due == "2026-05-15"
    assert checked.plan is not None
    first = issue_plan(world.rt, world.person("issuer"), checked.plan, idempotency_key="k1")
    again = issue_plan(world.rt, world.person("issuer"), checked.plan, idempotency_key="k1")
    assert again.list_id == first.list_id and not again.created
    assert _items(world) == 2


def test_one_bad_row_names_row_and_column_and_creates_nothing(world: World) -> None:
    template = list_template(world.rt, world.person("issuer"), "task")
    rows = [GOOD, GOOD, GOOD, {**GOOD, "截止日期": "下月底"}]
    checked = _check(world, fill_template(template, rows))
    assert checked.plan is None
    assert [p.text() for p in checked.problems] == [
        "第5行 C列 截止日期：“下月底”不是日期，请写成 2026-04-30。"]
    assert checked.problems[0].text("en") == (
        "row 5, column C (Due date): '下月底' is not a date; write it as 2026-04-30")
    assert _items(world) == 0


@pytest.mark.parametrize(("change", "column", "message"), [
    ({"承办单位": "丙公司党支部"}, "B", "“丙公司党支部”不是下达单位所辖的在册单位"),
    ({"截止日期": "2026-02-30"}, "C", "不是日期"),
    ({"截止日期": "2026-01-05"}, "C", "已经过去"),
    ({"任务类别": None}, "F", "必填"),
    ({"任务类别": "其他"}, "F", "只能填：党建、业务、党建+业务"),
    ({"考核分值": "很多"}, "J", "须为数字"),
    ({"第一责任人": "nobody"}, "D", "没有“nobody”这个人"),
    ({"事项名称": None}, "A", "必填"),
])
def test_each_kind_of_bad_cell_is_named(world: World, change: dict[str, object], column: str,
                                        message: str) -> None:
    template = list_template(world.rt, world.person("issuer"), "task")
    checked = _check(world, fill_template(template, [GOOD, {**GOOD, **change}]))
    assert checked.plan is None
    assert len(checked.problems) == 1
    problem = checked.problems[0]
    assert (problem.row, problem.letter) == (3, column)
    assert message in problem.text()


def test_a_unit_outside_the_issuers_subtree_is_not_found(world: World) -> None:
    from workflow.access import Scope
    from workflow.services import orgs

    orgs.create_org(world.rt, Scope.system(), name="外县党委", kind="committee")
    template = list_template(world.rt, world.person("issuer"), "task")
    checked = _check(world, fill_template(template, [{**GOOD, "承办单位": "外县党委"}]))
    assert "不是下达单位所辖的在册单位" in checked.problems[0].text()


def test_wrong_sheet_and_not_a_workbook_are_refused(world: World) -> None:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Sheet1"
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(InvalidInput, match="no sheet named 条目"):
        _check(world, buffer.getvalue())
    with pytest.raises(InvalidInput, match="not an Excel workbook"):
        _check(world, b"title,unit\nx,y\n")
    with pytest.raises(InvalidInput, match="not a readable .xlsx"):
        _check(world, b"PK\x03\x04 broken zip")


def test_missing_required_column_and_unknown_column(world: World) -> None:
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(list_template(world.rt, world.person("issuer"),
                                                           "task")))
    sheet = book["条目"]
    sheet["B1"] = "备注"
    sheet.append(["标题", "甲公司党支部", None, None, None, "党建", "内容"])
    buffer = io.BytesIO()
    book.save(buffer)
    checked = _check(world, fill_template(buffer.getvalue(), []))
    texts = [p.text() for p in checked.problems]
    assert checked.plan is None
    assert "第1行：B列“备注”不是这类清单的列，请使用模板。" in texts
    assert "第1行：缺少必填列“承办单位”。" in texts


def test_only_an_issuer_may_check_a_list(world: World) -> None:
    template = list_template(world.rt, world.person("issuer"), "task")
    data = fill_template(template, [GOOD], issuer="县委企业工委")
    with pytest.raises(InvalidInput, match="you cannot issue lists"):
        _check(world, data, who="handler_a")
    with pytest.raises(NotAllowed):
        check_workbook(world.rt, world.person("handler_a"), data, "x.xlsx",
                       issuer_org_id=world.branch_a)


@pytest.mark.parametrize(("cell", "day"), [
    (date(2026, 5, 15), date(2026, 5, 15)),
    ("2026-05-15", date(2026, 5, 15)),
    ("2026/5/15", date(2026, 5, 15)),
    ("2026年5月15日", date(2026, 5, 15)),
    (46157, date(2026, 5, 15)),  # the serial number Excel shows for an unformatted date
    ("5/15", None),
    ("2026-02-30", None),
    (True, None),
])
def test_dates_are_read_as_people_write_them(cell: object, day: date | None) -> None:
    from workflow.services.list_values import parse_date

    assert parse_date(cell) == day


def test_a_rectification_list_with_its_date_field(world: World) -> None:
    template = list_template(world.rt, world.person("issuer"), "rectification")
    row = {"事项名称": "补齐会议记录", "承办单位": "乙公司党支部", "存在问题": "记录不全",
           "问题来源": "月抽查", "发现日期": "2026年2月20日"}
    checked = _check(world, fill_template(template, [row, {**row, "发现日期": "上周"}]))
    assert [p.text() for p in checked.problems] == [
        "第3行 J列 发现日期：须为日期，如 2026-04-30。"]
    checked = _check(world, fill_template(template, [row]))
    assert checked.plan is not None
    assert checked.plan.items[0].fields["found_on"] == "2026-02-20"
    assert checked.preview[0].due == ""  # the kind's default time limit applies


def test_an_empty_template_or_a_missing_title_is_reported(world: World) -> None:
    template = list_template(world.rt, world.person("issuer"), "task")
    checked = _check(world, fill_template(template, [], title=None))
    assert [p.text() for p in checked.problems] == ["请填写清单名称。", "没有可下达的条目。"]
    assert checked.plan is None and _items(world) == 0
