"""Supervision tests run against a small checklist of their own (`mini`), written here so every
figure in the expectations can be checked by hand, plus the shipped ones where named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import World
from workflow.access import Scope
from workflow.config import PROJECT_ROOT, Settings
from workflow.services import orgs

MINI = """\
name: mini
version: 1
label: {zh: 测试考核, en: Test assessment}
cycle: quarterly
subject: unit
applies_to: [branch]
scored_by: [inspector]
sections:
  - name: party
    label: {zh: 党建, en: Party building}
    weight: 0.6
    criteria:
      - name: meetings
        label: {zh: 三会一课, en: Meetings}
        max_points: 50
        evidence: true
      - name: integrity
        label: {zh: 党风廉政, en: Integrity}
        max_points: 50
        veto: {zh: 发生违纪问题的一票否决, en: A breach of discipline fails the unit}
  - name: business
    label: {zh: 业务, en: Business}
    weight: 0.4
    criteria:
      - {name: sales, label: {zh: 销售目标, en: Sales target}, max_points: 100}
deductions:
  - {name: overdue, label: {zh: 逾期, en: Overdue}, source: overdue_items, points: 2, max: 3,
     section: party}
  - {name: returned, label: {zh: 多次退回, en: Returned}, source: rectification_returned,
     more_than: 1, points: 1, section: party}
  - {name: findings, label: {zh: 抽查问题, en: Findings}, source: spot_check_findings,
     points: 1, section: party}
  - {name: not_done, label: {zh: 销号未落实, en: Not done}, source: closed_not_done, points: 5,
     section: party}
grades:
  - {name: excellent, min: 90, label: {zh: 优秀, en: Excellent}, stars: 5}
  - {name: good, min: 80, label: {zh: 良好, en: Good}, stars: 4}
  - {name: fail, min: 0, label: {zh: 不合格, en: Fail}, stars: 0}
proposals: {commend_top: 1, account_bottom: 1, bottom_action: admonish, veto_action: criticise}
yearly:
  quarter_weights: [0.1, 0.2, 0.3, 0.4]
  quarters_share: 0.5
  items:
    - {name: report, label: {zh: 述职评议, en: Annual report}, max_points: 10}
"""


@pytest.fixture
def definitions_dir(tmp_path: Path) -> Path:
    """The shipped list definitions and checklists, plus `mini`."""
    target = tmp_path / "definitions"
    shutil.copytree(PROJECT_ROOT / "definitions", target)
    (target / "assessments" / "mini.yaml").write_text(MINI, encoding="utf-8")
    return target


@pytest.fixture
def settings(settings: Settings, definitions_dir: Path) -> Settings:
    return settings.with_(definitions_path=definitions_dir)


@pytest.fixture
def branch_c(world: World) -> int:
    """A third branch, inspected by the same inspector as A and B."""
    system = Scope.system()
    unit = orgs.create_org(world.rt, system, name="丙公司党支部", kind="branch",
                           parent_id=world.committee)
    orgs.assign_inspector(world.rt, system, person_id=world.ids["inspector"], org_id=unit)
    return unit
