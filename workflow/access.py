"""Who may see and do what: deny by default, one place for every face.

A grant of a role at an organisation applies to its whole subtree. Inspectors also cover the
units they are assigned to inspect. Reads outside the actor's scope answer NotFound, never
"forbidden", so the existence of another branch's work does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_

from workflow.models import Person


def subtree_bounds(path: str) -> tuple[str, str]:
    """The half-open range of paths inside `path`'s subtree ('/' + 1 is '0')."""
    return path, path[:-1] + "0"


def in_subtree(column: Any, path: str) -> ColumnElement[bool]:
    low, high = subtree_bounds(path)
    return and_(column >= low, column < high)


def _within(path: str, ancestors: tuple[str, ...]) -> bool:
    return any(path.startswith(a) for a in ancestors)


@dataclass(frozen=True)
class Scope:
    """An actor's grants reduced to paths: role → the subtrees where it is held."""

    person_id: int | None
    roles: dict[str, tuple[str, ...]]
    inspected: tuple[str, ...] = ()

    @classmethod
    def of(cls, person: Person | None) -> Scope:
        if person is None or not person.active:
            return cls(None, {})
        roles: dict[str, list[str]] = {}
        for grant in person.grants:
            roles.setdefault(grant.role, []).append(grant.org.path)
        inspected = tuple(a.org.path for a in person.assignments)
        return cls(person.id, {k: tuple(v) for k, v in roles.items()}, inspected)

    @classmethod
    def system(cls) -> Scope:
        """The engine itself (sweeps): sees everything, holds every role."""
        return cls(None, {"admin": ("/",)})

    def paths(self, role: str) -> tuple[str, ...]:
        return self.roles.get(role, ())

    @property
    def is_admin(self) -> bool:
        return bool(self.paths("admin"))

    def holds(self, role: str, org_path: str, issuer_path: str) -> bool:
        """Does the actor hold `role` for an item of this unit issued by that unit?"""
        if _within(org_path, self.paths("admin")):
            return True
        if role == "issuer":
            return _within(issuer_path, self.paths("issuer"))
        if role == "inspector":
            return _within(org_path, self.paths("inspector") + self.inspected)
        return _within(org_path, self.paths(role))

    def can_see(self, org_path: str, issuer_path: str) -> bool:
        if _within(issuer_path, self.paths("issuer") + self.paths("admin")):
            return True
        every = tuple(p for paths in self.roles.values() for p in paths) + self.inspected
        return _within(org_path, every)

    def item_filter(self, org_path: Any, issuer_path: Any) -> ColumnElement[bool]:
        """The SQL form of `can_see`, for lists and counts (index-backed path ranges)."""
        clauses = [in_subtree(issuer_path, p) for p in self.paths("issuer") + self.paths("admin")]
        every = {p for paths in self.roles.values() for p in paths} | set(self.inspected)
        clauses += [in_subtree(org_path, p) for p in sorted(every)]
        return or_(*clauses) if clauses else false()

    def org_paths(self) -> tuple[str, ...]:
        """Every subtree the actor has any role in (for organisation lookups)."""
        every = {p for paths in self.roles.values() for p in paths} | set(self.inspected)
        return tuple(sorted(every))
