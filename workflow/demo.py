"""The demo county: an organisation tree, one account per role, and lists in every state.

Modelled on the practice in the seed documents (a county with four state-owned enterprises under
the working committee for organs directly under the county, a branch of 16 members in three
party groups, an inspection team); names are invented. History is written through the engine's
own services with a clock set in the past, so the ledger, deadlines and overdue items are real.
"""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from workflow.access import Scope
from workflow.clock import FixedClock
from workflow.demo_supervision import seed_supervision
from workflow.models import Person
from workflow.runtime import Runtime
from workflow.services import orgs
from workflow.services.evidence import attach_evidence
from workflow.services.items import fire_transition
from workflow.services.lists import NewItem, issue_list

DEMO_PASSWORD = "Sandan2026demo"

ACCOUNTS = [
    ("admin", "系统管理员", "admin", "county", "administrator: the whole tree"),
    ("zuzhibu", "王组织", "issuer", "county", "issuer (组织部): issues lists, closes items"),
    ("ducha", "李督查", "inspector", "team", "inspector (督查组): reviews the four branches"),
    ("zhibu1", "张书记", "handler", "branch1", "handler: 资本运营公司党支部 secretary"),
    ("zhibu2", "赵书记", "handler", "branch2", "handler: 实业发展公司党支部 secretary"),
    ("lingdao", "陈领导", "leader", "county", "leader: read-only view of the county"),
]
ENTERPRISES = [
    "县国有资本运营有限公司", "县实业发展有限公司", "县工业投资有限公司", "县城建开发有限公司",
]
TASKS = ["召开专题组织生活会", "规范“三会一课”记录", "按时足额收缴党费", "开展主题党日活动"]


def seed_demo(rt: Runtime) -> list[tuple[str, str]]:
    """Seed the demo once (a second run changes nothing); return (username, description) pairs."""
    accounts = [(username, description) for username, _n, _r, _o, description in ACCOUNTS]
    with rt.read() as session:
        if session.scalar(select(Person.id).where(Person.username == "admin")):
            return accounts
    start = rt.clock.now() - timedelta(days=40)
    past = rt.with_clock(FixedClock(start))
    units = _tree(past)
    people = _people(past, units)
    _history(past, units, people)
    seed_supervision(past, units, people, DEMO_PASSWORD)
    return accounts


def _tree(rt: Runtime) -> dict[str, int]:
    system = Scope.system()
    county = orgs.create_org(rt, system, name="中共XX县委", kind="committee", code="county")
    units = {"county": county}
    units["dept"] = orgs.create_org(rt, system, name="县委组织部", kind="department",
                                    parent_id=units["county"], code="zzb")
    units["wc"] = orgs.create_org(rt, system, name="县直属机关工委", kind="working_committee",
                                  parent_id=units["county"], code="gw")
    units["team"] = orgs.create_org(rt, system, name="县委第一督查组", kind="inspection_team",
                                    parent_id=units["county"], code="dc1")
    for number, name in enumerate(ENTERPRISES, start=1):
        enterprise = orgs.create_org(rt, system, name=name, kind="enterprise",
                                     parent_id=units["wc"], code=f"e{number}")
        units[f"branch{number}"] = orgs.create_org(
            rt, system, name=f"{name[1:5]}公司党支部", kind="branch", parent_id=enterprise,
            code=f"b{number}")
    for number in range(1, 4):
        units[f"group{number}"] = orgs.create_org(
            rt, system, name=f"第{'一二三'[number - 1]}党小组", kind="group",
            parent_id=units["branch1"], code=f"b1g{number}")
    return units


def _people(rt: Runtime, units: dict[str, int]) -> dict[str, Person]:
    system = Scope.system()
    ids = {}
    for username, name, role, unit, _description in ACCOUNTS:
        ids[username] = orgs.create_person(rt, system, username=username, display_name=name,
                                           password=DEMO_PASSWORD, org_id=units[unit],
                                           must_change_password=False)
        orgs.grant_role(rt, system, person_id=ids[username], org_id=units[unit], role=role)
    for number in range(1, 5):
        orgs.assign_inspector(rt, system, person_id=ids["ducha"], org_id=units[f"branch{number}"])
    surnames = "刘陈杨黄周吴徐孙马朱胡郭何高林罗"
    for number, surname in enumerate(surnames, start=1):  # the 16 members of branch 1
        group = units[f"group{(number - 1) % 3 + 1}"]
        orgs.create_person(rt, system, username=f"b1m{number:02d}", display_name=f"{surname}党员",
                           password=None, org_id=group, post="党员")
    return {name: _load(rt, person_id) for name, person_id in ids.items()}


def _load(rt: Runtime, person_id: int) -> Person:
    person = orgs.load_person(rt, person_id)
    assert person is not None
    return person


def _history(rt: Runtime, units: dict[str, int], people: dict[str, Person]) -> None:
    clock = rt.clock
    assert isinstance(clock, FixedClock)
    now = clock.now()
    items = [
        NewItem(title=title, assignee_org_id=units[f"branch{n}"],
                due_at=now + timedelta(days=30 if n < 3 else 25),
                fields={"category": "党建", "description": f"{title}，按要求报送佐证材料。"})
        for n, title in enumerate(TASKS, start=1)
    ]
    issued = issue_list(rt, people["zuzhibu"], kind="task", title="2026年第一季度党建工作任务清单",
                        issuer_org_id=units["county"], items=items, period="2026Q1")
    done, waiting, late, unsigned = issued.item_ids
    clock.advance(days=3)
    for item_id, who in ((done, "zhibu1"), (waiting, "zhibu2"), (late, "admin")):
        _step(rt, people[who], item_id, "sign_for")
        _step(rt, people[who], item_id, "start")
    clock.advance(days=5)
    _submit(rt, people["zhibu1"], done, "组织生活会会议记录.pdf")
    clock.advance(days=2)
    _step(rt, people["ducha"], done, "approve", {"comment": "材料齐全"}, password=DEMO_PASSWORD)
    _step(rt, people["zuzhibu"], done, "close", password=DEMO_PASSWORD)
    _submit(rt, people["zhibu2"], waiting, "三会一课记录.pdf")
    _step(rt, people["ducha"], waiting, "fail_review", {"comment": "记录缺少参会人员签名，需整改"})
    del unsigned  # stays issued and unsigned: it goes overdue and climbs the ladder


def _submit(rt: Runtime, person: Person, item_id: int, filename: str) -> None:
    digest = attach_evidence(rt, person, item_id, filename,
                             io.BytesIO(f"{filename} {item_id}".encode())).sha256
    _step(rt, person, item_id, "submit", {"evidence": [digest]})


def _step(rt: Runtime, person: Person, item_id: int, trigger: str,
          inputs: dict[str, object] | None = None, password: str | None = None) -> None:
    from workflow.models import Item

    with rt.read() as session:
        version = session.get_one(Item, item_id).version
    fire_transition(rt, person, item_id, trigger, inputs, expected_version=version,
                    password=password)
