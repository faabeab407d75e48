"""Organisation management: rename, move with the subtree, close, merge, import from files."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from tests.conftest import World
from tests.workflow.helpers import issue_task
from workflow.access import Scope
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.models import Item, ItemList, LedgerEntry, Organisation, Person, RoleGrant
from workflow.queries import inbox_items
from workflow.services import org_import, org_tree, orgs
from workflow.services.items import fire_transition

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def assert_paths_consistent(world: World) -> None:
    """Every stored path equals the path the tree gives (units, items, lists)."""
    with world.rt.read() as session:
        units = {o.id: o for o in session.scalars(select(Organisation))}
        for org in units.values():
            parent = units.get(org.parent_id) if org.parent_id else None
            assert org.path == f"{parent.path if parent else '/'}{org.id}/", org.name
            assert org.depth == (parent.depth + 1 if parent else 0)
        for item in session.scalars(select(Item)):
            assert item.org_path == units[item.assignee_org_id].path
            assert item.issuer_path == units[item.issuer_org_id].path
        for item_list in session.scalars(select(ItemList)):
            assert item_list.issuer_path == units[item_list.issuer_org_id].path


def _actions(world: World, subject: str) -> list[str]:
    with world.rt.read() as session:
        return list(session.scalars(select(LedgerEntry.action).where(
            LedgerEntry.subject == subject).order_by(LedgerEntry.id)))


def _org(world: World, org_id: int) -> Organisation:
    with world.rt.read() as session:
        return session.get_one(Organisation, org_id)


def test_rename(world: World) -> None:
    org_tree.rename_org(world.rt, world.person("admin"), world.branch_a, name="甲集团党委")
    assert _org(world, world.branch_a).name == "甲集团党委"
    assert _actions(world, f"org:{world.branch_a}")[-1] == "org.rename"


def test_move_rewrites_every_path_of_the_subtree(world: World) -> None:
    system = Scope.system()
    enterprise = orgs.create_org(world.rt, system, name="甲公司", kind="enterprise",
                                 parent_id=world.committee)
    in_group = issue_task(world, to=world.group_a, title="小组学习")
    in_branch = issue_task(world, title="支部学习")
    orgs.grant_role(world.rt, system, person_id=world.ids["handler_a2"], org_id=world.branch_a,
                    role="issuer")
    from tests.workflow.helpers import default_fields
    from workflow.services.lists import NewItem, issue_list
    issued = issue_list(world.rt, world.person("handler_a2"), kind="task", title="支部内清单",
                        issuer_org_id=world.branch_a,
                        items=[NewItem(title="小组自查", assignee_org_id=world.group_a,
                                       fields=default_fields("task"))])
    org_tree.move_org(world.rt, world.person("admin"), world.branch_a, parent_id=enterprise)
    assert_paths_consistent(world)
    assert _org(world, world.group_a).path == \
        f"/{world.committee}/{enterprise}/{world.branch_a}/{world.group_a}/"
    seen = {i.id for i in inbox_items(world.rt, Scope.of(world.person("handler_a")))}
    assert {in_group, in_branch, issued.item_ids[0]} <= seen
    inspected = {i.id for i in inbox_items(world.rt, Scope.of(world.person("inspector")))}
    assert {in_group, in_branch} <= inspected
    assert not {in_group, in_branch} & {
        i.id for i in inbox_items(world.rt, Scope.of(world.person("handler_b")))}
    assert _actions(world, f"org:{world.branch_a}")[-1] == "org.move"


def test_a_unit_cannot_move_into_its_own_subtree(world: World) -> None:
    with pytest.raises(InvalidInput, match="inside the unit being moved"):
        org_tree.move_org(world.rt, Scope.system(), world.branch_a, parent_id=world.group_a)
    assert_paths_consistent(world)


@pytest.mark.parametrize(("actor", "error"), [("handler_b", NotFound), ("handler_a", NotAllowed),
                                              ("leader", NotAllowed)])
def test_only_administrators_change_the_tree(world: World, actor: str, error: type) -> None:
    person = world.person(actor)
    with pytest.raises(error):
        org_tree.rename_org(world.rt, person, world.branch_a, name="x")
    with pytest.raises(error):
        org_tree.move_org(world.rt, person, world.group_a, parent_id=world.branch_b)
    with pytest.raises(error):
        org_tree.close_org(world.rt, person, world.group_a, reason="x")
    with pytest.raises(error):
        org_tree.merge_org(world.rt, person, world.branch_a, into_id=world.branch_b, reason="x")
    assert _org(world, world.branch_a).name == "甲公司党支部"


def test_close_refuses_a_unit_with_open_work(world: World) -> None:
    issue_task(world)
    with pytest.raises(InvalidInput, match="open item"):
        org_tree.close_org(world.rt, Scope.system(), world.branch_a, reason="撤销")
    org_tree.close_org(world.rt, Scope.system(), world.group_a, reason="撤销")
    assert _org(world, world.group_a).closed_at is not None
    with pytest.raises(InvalidInput, match="closed"):
        orgs.create_org(world.rt, Scope.system(), name="新小组", kind="group",
                        parent_id=world.group_a)
    assert _actions(world, f"org:{world.group_a}")[-1] == "org.close"


def test_merge_moves_open_work_and_people_and_keeps_history(world: World) -> None:
    open_item = issue_task(world, title="仍在办理")
    done = issue_task(world, title="已撤回")
    fire_transition(world.rt, world.person("issuer"), done, "withdraw", {"reason": "重复"},
                    expected_version=1)
    moved = org_tree.merge_org(world.rt, world.person("admin"), world.branch_a,
                               into_id=world.branch_b, reason="两支部合并")
    assert moved["items"] == 1 and moved["units"] == 1 and moved["people"] == 2
    assert_paths_consistent(world)
    with world.rt.read() as session:
        item = session.get_one(Item, open_item)
        assert item.assignee_org_id == world.branch_b and item.version == 2
        assert session.get_one(Item, done).assignee_org_id == world.branch_a  # history stays
        assert session.get_one(Person, world.ids["handler_a"]).org_id == world.branch_b
        assert session.scalar(select(func.count()).select_from(RoleGrant).where(
            RoleGrant.org_id == world.branch_a)) == 0
    source = _org(world, world.branch_a)
    assert source.closed_at is not None and source.merged_into_id == world.branch_b
    assert _org(world, world.group_a).parent_id == world.branch_b
    seen_by_b = {i.id for i in inbox_items(world.rt, Scope.of(world.person("handler_b")))}
    assert open_item in seen_by_b
    assert Scope.of(world.person("handler_a")).holds("handler", item.org_path, item.issuer_path)
    assert _actions(world, f"item:{open_item}")[-1] == "org.merge"
    assert _actions(world, f"org:{world.branch_a}")[-1] == "org.merge"
    assert _actions(world, f"org:{world.branch_b}")[-1] == "org.merge_in"


def test_merge_refuses_its_own_subtree(world: World) -> None:
    with pytest.raises(InvalidInput):
        org_tree.merge_org(world.rt, Scope.system(), world.branch_a, into_id=world.group_a,
                           reason="x")


def _counts(world: World) -> tuple[int, int, int]:
    with world.rt.read() as session:
        return tuple(session.scalar(select(func.count()).select_from(model))  # type: ignore
                     for model in (Organisation, Person, LedgerEntry))


@pytest.mark.parametrize("name", ["orgs.yaml", "orgs.xlsx"])
def test_import_the_shipped_examples(world: World, name: str) -> None:
    result = org_import.import_orgs(world.rt, Scope.system(), EXAMPLES / name,
                                    set_passwords=True)
    assert len(result.units_created) == 7 and len(result.people_created) == 5
    assert result.grants == 5 and result.assignments == 2 and len(result.passwords) == 5
    assert_paths_consistent(world)
    ducha = orgs.find_person(world.rt, "hx_ducha")
    assert ducha is not None and ducha.display_name == "吴督查" and ducha.must_change_password
    assert len(Scope.of(ducha).inspected) == 2
    before = _counts(world)
    again = org_import.import_orgs(world.rt, Scope.system(), EXAMPLES / name)
    assert not again.units_created and len(again.units_unchanged) == 7
    assert _counts(world) == before  # importing again changes nothing


BAD_YAML = """\
units:
  - {code: a1, name: 一, kind: committee}
  - {code: a2, name: 二, kind: branch, parent: a1}
  - {code: a3, name: 三, kind: branch, parent: a1}
  - {code: a4, name: 四, kind: group, parent: a2}
  - {code: a5, name: 五, kind: group, parent: a3}
  - {code: a6, name: 六, kind: group, parent: a3}
  - {code: a7, name: 七, kind: group, parent: b9}
people:
  - {username: p1, name: 张三, unit: a2, roles: "handler, boss"}
"""


def test_a_bad_row_imports_nothing_and_every_problem_is_named(world: World,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "tree.yaml"
    path.write_text(BAD_YAML, encoding="utf-8")
    before = _counts(world)
    with pytest.raises(InvalidInput) as caught:
        org_import.import_orgs(world.rt, Scope.system(), path)
    assert caught.value.details["problems"] == [
        "units entry 7 (line 8), column parent: unknown unit code 'b9'",
        "people entry 1 (line 10), column roles: unknown role 'boss' "
        "(known: issuer, inspector, handler, leader, admin)",
    ]
    assert _counts(world) == before


def test_excel_rows_are_named_by_sheet_row_and_column(world: World, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "units"
    sheet.append(["code", "name", "kind", "parent"])
    sheet.append(["b1", "一支部", "支部", None])
    for number in range(2, 6):
        sheet.append([f"b1g{number}", f"小组{number}", "group", "b1"])
    sheet.append(["b1x", "七", "group", "b9"])  # row 7
    path = tmp_path / "tree.xlsx"
    book.save(path)
    before = _counts(world)
    with pytest.raises(InvalidInput) as caught:
        org_import.import_orgs(world.rt, Scope.system(), path)
    assert caught.value.details["problems"] == [
        "sheet units, row 7, column parent: unknown unit code 'b9'"]
    assert _counts(world) == before


def test_import_checks_cycles_duplicates_and_existing_units(world: World, tmp_path: Path) -> None:
    with world.rt.transaction() as session:
        session.get_one(Organisation, world.branch_b).code = "bb"
    path = tmp_path / "tree.yaml"
    path.write_text("""\
units:
  - {code: c1, name: 甲, kind: group, parent: c2}
  - {code: c2, name: 乙, kind: group, parent: c1}
  - {code: bb, name: 改名, kind: branch}
  - {code: c1, name: 重复, kind: group, parent: bb}
""", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        org_import.import_orgs(world.rt, Scope.system(), path)
    problems = "\n".join(caught.value.details["problems"])
    assert "units entry 4 (line 5), column code: unit code 'c1' appears twice" in problems
    assert "column code: unit 'bb' already exists" in problems
    assert "cycle" in problems


def test_a_subtree_administrator_cannot_add_top_units(world: World, tmp_path: Path) -> None:
    path = tmp_path / "tree.yaml"
    path.write_text("units:\n  - {code: top, name: 顶层, kind: committee}\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="column parent: only an administrator"):
        org_import.import_orgs(world.rt, world.person("admin"), path)


def test_unknown_columns_and_sheets_are_refused(world: World, tmp_path: Path) -> None:
    path = tmp_path / "tree.yaml"
    path.write_text("units:\n  - {code: x, name: 名, kind: group, colour: red}\nteams: []\n",
                    encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        org_import.import_orgs(world.rt, Scope.system(), path)
    problems = caught.value.details["problems"]
    assert any("column colour: unknown column" in p for p in problems)
    assert any("unknown section 'teams'" in p for p in problems)


def test_workbooks_are_parsed_with_defusedxml() -> None:
    assert openpyxl.DEFUSEDXML is True
