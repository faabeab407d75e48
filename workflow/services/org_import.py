"""Importing units and people from a YAML or Excel file: all rows, or none.

Every row is checked first and every problem reported with its row and column
("sheet units, row 7, column parent: unknown unit code 'b9'"); only a file without problems is
applied, in one transaction, each unit, person, role and inspection assignment with its own
ledger entry. Importing the same file again changes nothing: a unit (by code) or person (by
username) that already exists exactly as described is left alone; one that differs is a problem
(renames and moves have their own commands, so an import never rewrites the tree silently).
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.access import Scope
from workflow.definitions.vocabulary import ROLES
from workflow.errors import InvalidInput
from workflow.models import Organisation, Person
from workflow.orgfiles import OrgFile, Row, read_org_file
from workflow.passwords import hash_password
from workflow.runtime import Runtime
from workflow.services import orgs

CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
KIND_ALIASES = {"党委": "committee", "工委": "working_committee", "企业": "enterprise",
                "支部": "branch", "党支部": "branch", "党小组": "group", "小组": "group",
                "督查组": "inspection_team", "部门": "department"}
ROLE_ALIASES = {"下达": "issuer", "督查": "inspector", "承办": "handler", "领导": "leader",
                "管理员": "admin"}
_SPLIT = re.compile(r"[,，;；、\s]+")


@dataclass
class ImportResult:
    """What an import did; `passwords` holds generated initial passwords, shown once."""

    units_created: list[str] = field(default_factory=list)
    units_unchanged: list[str] = field(default_factory=list)
    people_created: list[str] = field(default_factory=list)
    people_unchanged: list[str] = field(default_factory=list)
    grants: int = 0
    assignments: int = 0
    passwords: dict[str, str] = field(default_factory=dict)


@dataclass
class _Plan:
    file: OrgFile
    existing: dict[str, Organisation]
    units: dict[str, Row] = field(default_factory=dict)  # new units by code, parents first
    unchanged: set[str] = field(default_factory=set)
    people: dict[str, Row] = field(default_factory=dict)
    known_people: dict[str, Person] = field(default_factory=dict)

    def knows(self, code: str | None) -> bool:
        return code is not None and (code in self.units or code in self.existing)


def import_orgs(rt: Runtime, actor: Person | Scope, path: Path, *,
                set_passwords: bool = False) -> ImportResult:
    """Import `path`; InvalidInput listing every problem (and nothing written) if any row is bad.

    With `set_passwords`, each new person gets a random initial password (returned once, to be
    changed at first sign-in); otherwise new people cannot sign in until `users passwd`.
    """
    scope = actor if isinstance(actor, Scope) else Scope.of(actor)
    file = read_org_file(path)
    with rt.transaction() as session:
        plan = _check(session, scope, file)
        if file.problems:
            raise InvalidInput(f"{path.name}: {len(file.problems)} problem(s), nothing imported:\n"
                               + "\n".join(file.problems), problems=file.problems)
        return _apply(session, scope, plan, rt.clock.now(), set_passwords, path.name)


def _check(session: Session, scope: Scope, file: OrgFile) -> _Plan:
    codes = {r.values.get(c) for r in file.units for c in ("code", "parent")}
    for row in file.people:
        codes |= {row.values.get("unit"), *_codes_in(row)}
    found = session.scalars(select(Organisation).where(Organisation.code.in_(codes - {None})))
    plan = _Plan(file, {o.code: o for o in found if o.code})
    for row in file.units:
        _check_unit(session, plan, row)
    for row in file.units:  # once every unit of the file is known, in any order
        _check_parent(scope, plan, row)
    _order_units(plan)
    for row in file.people:
        _check_person(session, scope, plan, row)
    return plan


def _check_unit(session: Session, plan: _Plan, row: Row) -> None:
    v, bad = row.values, plan.file.problem
    code = v.get("code")
    v["kind"] = KIND_ALIASES.get(v.get("kind") or "", v.get("kind"))
    for column in ("code", "name", "kind"):
        if not v.get(column):
            bad(row.where, column, "required")
    if code and not CODE.match(code):
        bad(row.where, "code", f"'{code}' may hold only letters, digits, '.', '_' and '-'")
    if v.get("kind") and v["kind"] not in orgs.ORG_KINDS:
        bad(row.where, "kind", f"'{v['kind']}' is not one of {', '.join(orgs.ORG_KINDS)}")
    if code in plan.units or code in plan.unchanged:
        bad(row.where, "code", f"unit code '{code}' appears twice in the file")
        return
    if code in plan.existing:
        _compare_unit(session, plan, row)
    elif code:
        plan.units[code] = row


def _check_parent(scope: Scope, plan: _Plan, row: Row) -> None:
    code, parent = row.values.get("code"), row.values.get("parent")
    if parent is not None:
        _check_unit_ref(scope, plan, row, "parent", parent)
    elif code not in plan.existing and "/" not in scope.paths("admin"):
        plan.file.problem(row.where, "parent",
                          "only an administrator of the whole tree may add a top unit")


def _compare_unit(session: Session, plan: _Plan, row: Row) -> None:
    org, v = plan.existing[row.values["code"]], row.values
    parent = session.get(Organisation, org.parent_id) if org.parent_id else None
    if (org.name, org.kind, parent.code if parent else None) != (v.get("name"), v.get("kind"),
                                                                  v.get("parent")):
        plan.file.problem(row.where, "code", f"unit '{org.code}' already exists as '{org.name}' "
                          f"({org.kind}) with another name, kind or parent; rename or move it "
                          "with `sandan orgs rename|move`")
    plan.unchanged.add(row.values["code"])


def _check_unit_ref(scope: Scope, plan: _Plan, row: Row, column: str, code: str) -> None:
    """A referenced unit exists (in the file or the database), is open and is administered."""
    if code in plan.units or code in plan.unchanged:
        return
    org = plan.existing.get(code)
    if org is None or not any(org.path.startswith(p) for p in scope.paths("admin")):
        plan.file.problem(row.where, column, f"unknown unit code '{code}'")
    elif org.closed_at is not None:
        plan.file.problem(row.where, column, f"unit '{code}' is closed")


def _order_units(plan: _Plan) -> None:
    """Parents before children; a cycle among the file's units is a problem on each row."""
    ordered: dict[str, Row] = {}
    for code, row in plan.units.items():
        chain: list[str] = []
        cursor: str | None = code
        while cursor is not None and cursor in plan.units and cursor not in ordered:
            if cursor in chain:
                plan.file.problem(row.where, "parent", f"units form a cycle: {' → '.join(chain)}")
                return
            chain.append(cursor)
            cursor = plan.units[cursor].values.get("parent")
        for link in reversed(chain):
            ordered[link] = plan.units[link]
    plan.units = ordered


def _check_person(session: Session, scope: Scope, plan: _Plan, row: Row) -> None:
    v, bad = row.values, plan.file.problem
    username = v.get("username")
    for column in ("username", "name", "unit"):
        if not v.get(column):
            bad(row.where, column, "required")
    if username and (len(username) > 80 or any(c.isspace() for c in username)):
        bad(row.where, "username", "at most 80 characters, without spaces")
    if username in plan.people:
        bad(row.where, "username", f"'{username}' appears twice in the file")
    if v.get("unit"):
        _check_unit_ref(scope, plan, row, "unit", v["unit"])
    if v.get("email") and "@" not in v["email"]:
        bad(row.where, "email", f"'{v['email']}' is not an e-mail address")
    for role, code in _roles(v.get("roles")):
        if role not in ROLES:
            bad(row.where, "roles", f"unknown role '{role}' (known: {', '.join(ROLES)})")
        if code or v.get("unit"):
            _check_unit_ref(scope, plan, row, "roles", code or v["unit"])
    for code in _list(v.get("inspects")):
        _check_unit_ref(scope, plan, row, "inspects", code)
    if username:
        plan.people[username] = row
        _compare_person(session, plan, row)


def _compare_person(session: Session, plan: _Plan, row: Row) -> None:
    v = row.values
    person = session.scalars(select(Person).where(Person.username == v["username"])).first()
    if person is None:
        return
    home = session.get(Organisation, person.org_id) if person.org_id else None
    if (person.display_name, home.code if home else None) != (v.get("name"), v.get("unit")):
        plan.file.problem(row.where, "username", f"'{person.username}' already exists as "
                          f"{person.display_name} at unit '{home.code if home else '-'}'")
    plan.known_people[person.username] = person


def _apply(session: Session, scope: Scope, plan: _Plan, now: datetime, set_passwords: bool,
           source: str) -> ImportResult:
    result, note = ImportResult(), {"import": source}
    units = dict(plan.existing)
    for code, row in plan.units.items():
        parent = units.get(row.values.get("parent") or "")
        units[code] = orgs.add_org(session, scope, now, name=row.values["name"],
                                   kind=row.values["kind"], parent=parent, code=code, note=note)
        result.units_created.append(code)
    result.units_unchanged = sorted(plan.unchanged)
    for username, row in plan.people.items():
        person = plan.known_people.get(username)
        if person is None:
            person = _new_person(session, scope, now, row, units, result, set_passwords, note)
        else:
            result.people_unchanged.append(username)
        for role, at in _roles(row.values.get("roles")):
            org = units[at or row.values["unit"]]
            result.grants += orgs.add_grant(session, scope, now, person, org, role)
        for code in _list(row.values.get("inspects")):
            result.assignments += orgs.add_assignment(session, scope, now, person, units[code])
    return result


def _new_person(session: Session, scope: Scope, now: datetime, row: Row,
                units: dict[str, Organisation], result: ImportResult, set_passwords: bool,
                note: dict[str, str]) -> Person:
    v = row.values
    password = _initial_password() if set_passwords else None
    person = orgs.add_person(session, scope, now, username=v["username"], display_name=v["name"],
                             password_hash=hash_password(password) if password else None,
                             org_id=units[v["unit"]].id, must_change_password=True,
                             email=v.get("email"), mobile=v.get("mobile"), post=v.get("post"),
                             note=note)
    result.people_created.append(v["username"])
    if password:
        result.passwords[v["username"]] = password
    return person


def _initial_password() -> str:
    """Fourteen random letters and digits (with at least one of each, as the policy asks)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(14))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


def _list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part for part in _SPLIT.split(str(value)) if part]


def _roles(value: object) -> list[tuple[str, str | None]]:
    """`handler`, `issuer@county` → (role, unit code or None for the person's own unit)."""
    pairs = []
    for part in _list(value):
        role, _, code = part.partition("@")
        pairs.append((ROLE_ALIASES.get(role, role), code or None))
    return pairs


def _codes_in(row: Row) -> set[str]:
    return {c for _r, c in _roles(row.values.get("roles")) if c} | set(
        _list(row.values.get("inspects")))
