"""The arithmetic of a score: criteria, deductions, vetoes, weights, grades. Pure functions.

All figures are exact decimals rounded half-up to two places, so the same inputs give the same
total on every machine and database, and ties are real ties.

For each section: points = Σ criterion points − the deductions charged to it (never below 0);
its contribution = weight × points / section maximum × 100. The total is the sum of the
contributions (0–100). A failed veto criterion or a veto deduction rule with any occurrence
vetoes the subject: it keeps its points for the record but fails whatever they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from workflow.assessments.model import Checklist, Criterion, Deduction, Section
from workflow.definitions.model import Label

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)


def money(value: Decimal) -> Decimal:
    """Two decimal places, half up (the rounding people do by hand)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Entry:
    """What a scorer recorded for one criterion."""

    points: Decimal | None
    veto_failed: bool = False


def score_sections(checklist: Checklist, *, yearly: bool) -> tuple[Section, ...]:
    """The sections scored in an assessment: the checklist's, or its yearly items as one."""
    if not yearly:
        return checklist.sections
    assert checklist.yearly is not None
    label = Label("年度项目", "Yearly items")
    return (Section("yearly_items", label, Decimal(1), checklist.yearly.items),)


def compute(
    checklist: Checklist,
    entries: Mapping[str, Entry],
    counts: Mapping[str, int],
    *,
    yearly: bool = False,
) -> dict[str, Any]:
    """The full breakdown of one score, as JSON-ready data (decimals as text)."""
    sections = score_sections(checklist, yearly=yearly)
    rules = () if yearly else checklist.deductions
    charged, deduction_rows, vetoes = _deductions(rules, counts, sections)
    section_rows, criteria_rows, missing = [], [], []
    total = ZERO
    for section in sections:
        points = ZERO
        for criterion in section.criteria:
            entry = entries.get(criterion.name)
            criteria_rows.append(_criterion_row(criterion, entry))
            if entry is None or entry.points is None:
                missing.append(criterion.name)
            else:
                points += entry.points
            if entry is not None and entry.veto_failed and criterion.veto is not None:
                vetoes.append(f"criterion:{criterion.name}")
        deducted = charged.get(section.name, ZERO)
        net = max(ZERO, points - deducted)
        contribution = money(section.weight * net / section.max_points * HUNDRED)
        total += contribution
        section_rows.append({"name": section.name, "points": str(money(points)),
                             "deducted": str(money(deducted)), "max": str(section.max_points),
                             "weight": str(section.weight), "score": str(contribution)})
    return _result(checklist, money(total), section_rows, criteria_rows, deduction_rows,
                   vetoes, missing)


def _deductions(
    rules: Sequence[Deduction], counts: Mapping[str, int], sections: Sequence[Section]
) -> tuple[dict[str, Decimal], list[dict[str, Any]], list[str]]:
    charged: dict[str, Decimal] = {}
    rows, vetoes = [], []
    for rule in rules:
        count = counts.get(rule.name, 0)
        points = rule.points * count
        if rule.cap is not None:
            points = min(points, rule.cap)
        target = rule.section or sections[0].name
        charged[target] = charged.get(target, ZERO) + points
        if rule.veto and count > 0:
            vetoes.append(f"deduction:{rule.name}")
        rows.append({"name": rule.name, "source": rule.source, "count": count,
                     "points": str(money(points)), "section": target, "veto": rule.veto})
    return charged, rows, vetoes


def _criterion_row(criterion: Criterion, entry: Entry | None) -> dict[str, Any]:
    points = None if entry is None or entry.points is None else str(money(entry.points))
    return {"name": criterion.name, "points": points, "max": str(criterion.max_points),
            "veto": criterion.veto is not None,
            "veto_failed": bool(entry and entry.veto_failed and criterion.veto is not None)}


def _result(
    checklist: Checklist, total: Decimal, sections: list[dict[str, Any]],
    criteria: list[dict[str, Any]], deductions: list[dict[str, Any]], vetoes: list[str],
    missing: list[str],
) -> dict[str, Any]:
    return {
        "total": str(total),
        "vetoed": bool(vetoes),
        "veto": vetoes,
        **grade_fields(checklist, total, bool(vetoes)),
        "sections": sections,
        "criteria": criteria,
        "deductions": deductions,
        "missing": missing,
    }


def grade_fields(checklist: Checklist, total: Decimal, vetoed: bool) -> dict[str, Any]:
    """Grade and stars for a total; a vetoed subject gets the lowest grade and no stars."""
    grade = checklist.grade(total)
    if vetoed and checklist.grades:
        grade = checklist.grades[-1]
    return {"grade": grade.name if grade else None,
            "stars": 0 if vetoed or grade is None else grade.stars}


def yearly_total(
    checklist: Checklist,
    quarters: Sequence[dict[str, Any] | None],
    items: dict[str, Any] | None,
) -> dict[str, Any]:
    """The year: Σ quarter weight × quarter total × quarters_share + the yearly items' share.

    A quarter (or the yearly items) without a locked score counts 0 and is listed as missing;
    a veto in any quarter or in the yearly items vetoes the year.
    """
    assert checklist.yearly is not None
    yearly = checklist.yearly
    total, missing, vetoes, rows = ZERO, [], [], []
    for number, (weight, result) in enumerate(zip(yearly.quarter_weights, quarters, strict=True),
                                              start=1):
        value = Decimal(result["total"]) if result else ZERO
        if result is None:
            missing.append(f"Q{number}")
        elif result["vetoed"]:
            vetoes.append(f"Q{number}")
        part = money(yearly.quarters_share * weight * value)
        total += part
        rows.append({"name": f"Q{number}", "total": str(value), "weight": str(weight),
                     "score": str(part)})
    if yearly.items:
        value = Decimal(items["total"]) if items else ZERO
        if items is None:
            missing.append("yearly_items")
        elif items["vetoed"]:
            vetoes.append("yearly_items")
        part = money((1 - yearly.quarters_share) * value)
        total += part
        rows.append({"name": "yearly_items", "total": str(value),
                     "weight": str(1 - yearly.quarters_share), "score": str(part)})
    total = money(total)
    return {"total": str(total), "vetoed": bool(vetoes), "veto": vetoes, "parts": rows,
            "missing": missing, **grade_fields(checklist, total, bool(vetoes))}
