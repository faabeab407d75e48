"""Rankings: who is first, who fails, and how ties are broken (they are not). Pure functions.

The rule, stated once and shown with every ranking:
- Units with a vetoed score fail whatever their points: they get no rank, status `vetoed`, and
  are listed after every ranked unit (by total, highest first).
- The others are ranked by total, highest first, in standard competition ranking: equal totals
  (to the cent) share a rank and the next rank skips (1, 2, 2, 4). Tied units are listed in tree
  order, which carries no meaning.
- Units without a locked score are `pending`, unranked, listed last.
Roll-ups (a branch's members to the branch, branches to their enterprise) take the mean of the
locked totals inside each unit; a vetoed subject either vetoes its parent (`propagate`) or
counts 0 points in the mean (`zero`), as the checklist says.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from workflow.assessments.scoring import money

TIE_RULE = ("equal totals (to the cent) share a rank and the next rank is skipped (1, 2, 2, 4); "
            "vetoed units are not ranked and come after all ranked units; units without a "
            "locked score are pending and come last")


@dataclass(frozen=True)
class Subject:
    """Something ranked: a unit or a member, with its official result (None while pending)."""

    org_id: int
    name: str
    path: str
    result: dict[str, Any] | None
    person_id: int | None = None


@dataclass(frozen=True)
class Standing:
    """One line of a ranking."""

    subject: Subject
    status: str
    rank: int | None
    total: Decimal
    tied: bool = False
    grade: str | None = None
    stars: int = 0
    veto: tuple[str, ...] = ()
    breakdown: dict[str, Any] = field(default_factory=dict)


def rank(subjects: Sequence[Subject]) -> list[Standing]:
    """Order and rank subjects by the rule above."""
    done = [s for s in subjects if s.result is not None]
    ranked = sorted((s for s in done if not _vetoed(s)), key=_order)
    vetoed = sorted((s for s in done if _vetoed(s)), key=_order)
    pending = sorted((s for s in subjects if s.result is None),
                     key=lambda s: (s.path, s.person_id or 0))
    counts = Counter(_total(s) for s in ranked)
    standings, place, previous = [], 0, None
    for index, subject in enumerate(ranked, start=1):
        total = _total(subject)
        if total != previous:  # sorted highest first: a new total starts a new rank
            place, previous = index, total
        standings.append(_standing(subject, "ranked", place, counts[total] > 1))
    standings += [_standing(s, "vetoed", None) for s in vetoed]
    standings += [Standing(s, "pending", None, Decimal(0)) for s in pending]
    return standings


def roll_up(
    subjects: Sequence[Subject], units: Sequence[Subject], veto_rule: str,
    grading: Callable[[Decimal, bool], dict[str, Any]],
) -> list[Subject]:
    """Each unit's result as the mean of the results of the subjects inside it."""
    rolled = []
    for unit in units:
        inside = [s for s in subjects if s.path.startswith(unit.path) and s.result is not None]
        if not inside:
            rolled.append(Subject(unit.org_id, unit.name, unit.path, None))
            continue
        values, vetoes = [], []
        for s in inside:
            if _vetoed(s):
                vetoes.append(s.name)
            values.append(Decimal(0) if _vetoed(s) and veto_rule == "zero" else _total(s))
        mean = money(sum(values, Decimal(0)) / len(values))
        vetoed_unit = bool(vetoes) and veto_rule == "propagate"
        parts = [{"name": s.name, "total": str(_total(s)), "vetoed": _vetoed(s)} for s in inside]
        result = {"total": str(mean), "vetoed": vetoed_unit,
                  "veto": [f"inside:{name}" for name in vetoes] if vetoed_unit else [],
                  "members": len(inside), "parts": parts, **grading(mean, vetoed_unit)}
        rolled.append(Subject(unit.org_id, unit.name, unit.path, result))
    return rolled


def _vetoed(subject: Subject) -> bool:
    return bool(subject.result and subject.result["vetoed"])


def _order(subject: Subject) -> tuple[Decimal, str, int]:
    return (-_total(subject), subject.path, subject.person_id or 0)


def _total(subject: Subject) -> Decimal:
    return Decimal(subject.result["total"]) if subject.result else Decimal(0)


def _standing(subject: Subject, status: str, place: int | None, tied: bool = False) -> Standing:
    result = subject.result or {}
    return Standing(subject, status, place, _total(subject), tied, result.get("grade"),
                    int(result.get("stars") or 0), tuple(result.get("veto") or ()), result)
