"""The ranking export: the board's points for everyone, breakdowns only where the page has them."""

from __future__ import annotations

import pytest

from tests.conftest import World
from tests.workflow.excel_helpers import sheet_rows
from tests.workflow.supervision.test_rankings import three_locked
from workflow.errors import NotFound
from workflow.excel.board_export import export_rankings


def test_the_ranking_sheet_matches_the_board(world: World, branch_c: int) -> None:
    three_locked(world, branch_c)
    export = export_rankings(world.rt, world.person("handler_a"), checklist="mini",
                             period="2026Q1", org_id=world.committee)
    rows = sheet_rows(export.data, "排名")
    assert rows[0][:4] == ("名次", "单位", "状态", "总分")
    by_unit = {r[1]: r for r in rows[1:]}
    assert by_unit["甲公司党支部"][0] == 1 and by_unit["甲公司党支部"][8]
    assert by_unit["乙公司党支部"][2] == "一票否决"
    others = [r for name, r in by_unit.items() if name not in ("甲公司党支部", "乙公司党支部")]
    assert others and all(r[8] is None for r in others)  # not handler_a's to see
    assert export.filename.endswith("_排名.xlsx")
    with pytest.raises(NotFound):
        export_rankings(world.rt, world.person("handler_a"), checklist="mini", period="2026Q1",
                        org_id=world.branch_b)
