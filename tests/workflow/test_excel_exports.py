"""Excel exports: the ledger book's two sheets, item lists and the register, all scope-filtered."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import START, World
from tests.workflow.excel_helpers import sheet_rows
from tests.workflow.helpers import attach, issue_task
from workflow.excel.board_export import export_register
from workflow.excel.cells import safe
from workflow.excel.items_export import export_items, export_ledger
from workflow.queries import ItemFilter
from workflow.services.items import fire_transition
from workflow.services.sweeps import run_sweep


def _two_branches(world: World) -> tuple[int, int]:
    a = issue_task(world, title="甲支部三会一课")
    b = issue_task(world, to=world.branch_b, title="乙支部主题党日")
    fire_transition(world.rt, world.person("handler_a"), a, "sign_for", {}, expected_version=1)
    attach(world, a)
    return a, b


def test_a_branch_exports_only_its_own_items(world: World) -> None:
    a, b = _two_branches(world)
    mine = export_items(world.rt, world.person("handler_a"), ItemFilter())
    rows = sheet_rows(mine.data, "事项清单")
    assert rows[0][:4] == ("编号", "清单", "类型", "事项名称")
    assert [r[0] for r in rows[1:]] == [a] and mine.rows == 1
    everything = export_items(world.rt, world.person("issuer"), ItemFilter())
    assert sorted(r[0] for r in sheet_rows(everything.data, "事项清单")[1:]) == [a, b]
    only_b = export_items(world.rt, world.person("issuer"), ItemFilter(unit_id=world.branch_b))
    assert [r[0] for r in sheet_rows(only_b.data, "事项清单")[1:]] == [b]
    assert mine.filename.startswith("事项清单_") and mine.filename.endswith(".xlsx")


def test_the_ledger_book_has_one_row_per_item_and_every_entry(world: World) -> None:
    a, b = _two_branches(world)
    book = export_ledger(world.rt, world.person("issuer"), ItemFilter())
    summary = sheet_rows(book.data, "台账")
    assert summary[0][0] == "序号" and summary[0][11] == "办理过程"
    by_id = {r[1]: r for r in summary[1:]}
    assert set(by_id) == {a, b}
    row_a = by_id[a]
    assert row_a[5] == "甲公司党支部" and row_a[10] == "已签收"
    assert "下达" in row_a[11] and "签收" in row_a[11]
    assert row_a[12] == 1  # one evidence file
    entries = sheet_rows(book.data, "台账明细")
    assert entries[0][:3] == ("记录号", "时间", "事项编号")
    item_a_entries = [r for r in entries[1:] if r[2] == a]
    assert [r[6] for r in item_a_entries] == ["下达", "签收", "上传佐证材料"]
    assert {r[2] for r in entries[1:]} == {a, b}
    own = export_ledger(world.rt, world.person("handler_b"), ItemFilter())
    assert [r[1] for r in sheet_rows(own.data, "台账")[1:]] == [b]
    assert {r[2] for r in sheet_rows(own.data, "台账明细")[1:]} == {b}


def test_the_register_export_is_scoped(world: World) -> None:
    a, b = _two_branches(world)
    for days in (30, 36, 45):
        run_sweep(world.rt, START + timedelta(days=days))
    everything = sheet_rows(export_register(world.rt, world.person("issuer")).data, "问责台账")
    assert everything[0][:3] == ("编号", "事项编号", "事项名称")
    assert {r[1] for r in everything[1:]} == {a, b}
    own = sheet_rows(export_register(world.rt, world.person("handler_a")).data, "问责台账")
    assert {r[1] for r in own[1:]} == {a}


def test_text_that_looks_like_a_formula_stays_text() -> None:
    assert safe("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert safe("-") == "-" and safe("党建") == "党建"


def test_exports_page_through_every_item(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from workflow.excel import items_export

    ids = sorted(issue_task(world, title=f"任务{n}", days=10 + n) for n in range(3))
    monkeypatch.setattr(items_export, "PAGE", 1)  # one item a page: the keyset must carry on
    book = export_ledger(world.rt, world.person("issuer"), ItemFilter())
    summary = sheet_rows(book.data, "台账")[1:]
    assert [(r[0], r[1]) for r in summary] == list(enumerate(ids, start=1))
    assert book.rows == 3 and len(sheet_rows(book.data, "台账明细")) == 1 + 3
