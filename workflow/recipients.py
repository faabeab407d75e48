"""Who an escalation step notifies, resolved up the organisation tree.

A step names recipients (vocabulary.RECIPIENTS); each resolves to people by walking from a unit
towards the root and taking the nearest unit where someone holds the role, so the ladder reaches
higher authority level by level without naming anyone in the definition:

- handler: holders of `handler` at the item's unit, or at the nearest unit above it with one;
- primary_responsible, direct_responsible: the people named on the item (none if unnamed);
- unit_head: holders of `handler` at the nearest unit above the item's unit and below the
  issuing unit (a group's branch secretary); for a unit directly under the issuer, its own
  handlers (the branch secretary is the branch's head);
- inspector: inspectors assigned to the item's unit or the nearest unit above it, and holders
  of `inspector` there;
- issuer, leader: holders of that role at the issuing unit or the nearest unit above it.

Lookups are cached per path for the length of one sweep (a `Recipients` per transaction).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from workflow.models import InspectorAssignment, Organisation, Person, RoleGrant


def ancestors(path: str) -> list[str]:
    """`/1/5/12/` → [`/1/5/12/`, `/1/5/`, `/1/`]: the unit and its ancestors, nearest first."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(len(parts), 0, -1)]


class Recipients:
    """Resolves recipient names for items within one transaction."""

    def __init__(self, session: Session,
                 holders: dict[str, dict[str, list[int]]] | None = None) -> None:
        self._session = session
        #: path -> role -> people; may be shared by the batches of one sweep
        self._holders = holders if holders is not None else {}

    def resolve(self, names: Iterable[str], row: Any) -> list[int]:
        """The people the names stand for on this item, each once, in the order named."""
        people: list[int] = []
        for name in names:
            for person_id in self._one(name, row):
                if person_id not in people:
                    people.append(person_id)
        return people

    def _one(self, name: str, row: Any) -> list[int]:
        if name == "primary_responsible":
            return [row.primary_person_id] if row.primary_person_id else []
        if name == "direct_responsible":
            return [row.direct_person_id] if row.direct_person_id else []
        if name == "handler":
            return self._nearest("handler", ancestors(row.org_path))
        if name == "unit_head":
            between = [p for p in ancestors(row.org_path)[1:]
                       if not row.issuer_path.startswith(p)]
            return self._nearest("handler", between) or self._nearest("handler", [row.org_path])
        if name == "inspector":
            return self._nearest("inspector", ancestors(row.org_path))
        if name in ("issuer", "leader"):
            return self._nearest(name, ancestors(row.issuer_path))
        raise ValueError(f"unknown recipient {name!r}")

    def _nearest(self, role: str, paths: list[str]) -> list[int]:
        for path in paths:
            found = self._at(path).get(role)
            if found:
                return found
        return []

    def prefetch(self, rows: Iterable[Any]) -> set[int]:
        """Look up every unit on the rows' paths in two queries (a sweep batch at a time);
        return everyone found there, to load their notification choices at once too."""
        paths = {p for row in rows for p in ancestors(row.org_path) + ancestors(row.issuer_path)}
        self._load(sorted(paths - self._holders.keys()))
        return {p for path in paths for found in self._holders[path].values() for p in found}

    def _at(self, path: str) -> dict[str, list[int]]:
        """Active people holding each role at the unit with this path (inspectors: assigned too)."""
        if path not in self._holders:
            self._load([path])
        return self._holders[path]

    def _load(self, paths: list[str]) -> None:
        if not paths:
            return
        found: dict[str, dict[str, list[int]]] = {path: {} for path in paths}
        grants = self._session.connection().execute(
            select(Organisation.path, RoleGrant.role, RoleGrant.person_id)
            .join(Organisation, Organisation.id == RoleGrant.org_id)
            .join(Person, Person.id == RoleGrant.person_id)
            .where(Organisation.path.in_(paths), Person.active == true())
            .order_by(RoleGrant.person_id)
        ).all()
        assigned = self._session.connection().execute(
            select(Organisation.path, InspectorAssignment.person_id)
            .join(Organisation, Organisation.id == InspectorAssignment.org_id)
            .join(Person, Person.id == InspectorAssignment.person_id)
            .where(Organisation.path.in_(paths), Person.active == true())
            .order_by(InspectorAssignment.person_id)
        ).all()
        for path, role, person_id in grants:
            found[path].setdefault(role, []).append(person_id)
        for path, person_id in assigned:
            if person_id not in found[path].setdefault("inspector", []):
                found[path]["inspector"].append(person_id)
        self._holders.update(found)
