"""Stage 3 for checklists: names resolve, words are known, weights and grades add up.

Each check yields problems with paths into the document (`sections[0].criteria[3].max_points`)
that the loader turns into `file:line: path: message`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal

from workflow.assessments.model import Checklist, Criterion, Deduction
from workflow.assessments.vocabulary import (
    ACCOUNTABILITY_ACTIONS,
    CYCLES,
    ROLLUP_VETO,
    SOURCES,
    SUBJECTS,
)
from workflow.definitions.problems import DocPath, Problem, dotted, duplicate_names, unknown, words
from workflow.definitions.vocabulary import ROLES
from workflow.services.orgs import ORG_KINDS

ONE = Decimal(1)


def check_checklist(checklist: Checklist) -> list[Problem]:
    """Every meaning problem in `checklist`, in the order of the checks."""
    checks: tuple[Callable[[Checklist], Iterator[Problem]], ...] = (
        _words,
        _sections,
        _criterion_names,
        _deductions,
        _grades,
        _proposals,
        _yearly,
    )
    return [problem for check in checks for problem in check(checklist)]


def _words(checklist: Checklist) -> Iterator[Problem]:
    if checklist.cycle not in CYCLES:
        yield Problem(("cycle",), unknown("cycle", checklist.cycle, CYCLES))
    if checklist.subject not in SUBJECTS:
        yield Problem(("subject",), unknown("subject", checklist.subject, SUBJECTS))
    if not checklist.applies_to:
        yield Problem(("applies_to",), "name at least one kind of unit: " + ", ".join(ORG_KINDS))
    yield from words(("applies_to",), checklist.applies_to, "kind of unit", ORG_KINDS)
    if not checklist.scored_by:
        yield Problem(("scored_by",), "name at least one role: " + ", ".join(ROLES))
    yield from words(("scored_by",), checklist.scored_by, "role", ROLES)
    if checklist.rollup.veto not in ROLLUP_VETO:
        yield Problem(("rollup", "veto"), unknown("roll-up rule", checklist.rollup.veto,
                                                  ROLLUP_VETO))


def _sections(checklist: Checklist) -> Iterator[Problem]:
    if not checklist.sections:
        yield Problem(("sections",), "a checklist needs at least one section")
        return
    yield from duplicate_names([s.name for s in checklist.sections], "sections", "section")
    total = Decimal(0)
    for index, section in enumerate(checklist.sections):
        base: DocPath = ("sections", index)
        total += section.weight
        if section.weight <= 0:
            yield Problem(base + ("weight",), f"must be more than 0, got {section.weight}")
        if not section.criteria:
            yield Problem(base + ("criteria",), "a section needs at least one criterion")
        elif section.max_points <= 0:
            yield Problem(base + ("criteria",), "the section's criteria add up to 0 points; "
                          "give at least one criterion max_points")
        for position, criterion in enumerate(section.criteria):
            yield from _criterion(base + ("criteria", position), criterion)
    if total != ONE:
        yield Problem(("sections",), f"the section weights add up to {total}, not 1")


def _criterion(base: DocPath, criterion: Criterion) -> Iterator[Problem]:
    if criterion.max_points < 0:
        yield Problem(base + ("max_points",), f"must be 0 or more, got {criterion.max_points}")
    elif criterion.max_points == 0 and criterion.veto is None:
        yield Problem(base + ("max_points",), "only a veto criterion may be worth 0 points")


def _criterion_names(checklist: Checklist) -> Iterator[Problem]:
    """Criterion names are unique across sections and yearly items: scores are keyed by them."""
    seen: dict[str, str] = {}
    places: list[tuple[DocPath, Criterion]] = [
        (("sections", i, "criteria", j), c)
        for i, s in enumerate(checklist.sections)
        for j, c in enumerate(s.criteria)
    ]
    if checklist.yearly:
        places += [(("yearly", "items", j), c) for j, c in enumerate(checklist.yearly.items)]
    for path, criterion in places:
        where = dotted(path)
        if criterion.name in seen:
            message = f"duplicate criterion '{criterion.name}' (already at {seen[criterion.name]})"
            yield Problem(path + ("name",), message)
        seen.setdefault(criterion.name, where)


def _deductions(checklist: Checklist) -> Iterator[Problem]:
    if checklist.deductions and checklist.subject == "member":
        message = "deductions come from a unit's record; a member checklist cannot have them"
        yield Problem(("deductions",), message)
    yield from duplicate_names([d.name for d in checklist.deductions], "deductions", "deduction")
    sections = [s.name for s in checklist.sections]
    for index, rule in enumerate(checklist.deductions):
        yield from _deduction(("deductions", index), rule, sections)


def _deduction(base: DocPath, rule: Deduction, sections: Sequence[str]) -> Iterator[Problem]:
    if rule.source not in SOURCES:
        yield Problem(base + ("source",), unknown("source", rule.source, SOURCES))
    if rule.source == "escalation_level" and rule.level is None:
        yield Problem(base, "source 'escalation_level' needs the level that counts (level: 3)")
    if rule.level is not None and rule.source != "escalation_level":
        yield Problem(base + ("level",), "only source 'escalation_level' takes a level")
    if rule.more_than and rule.source != "rectification_returned":
        yield Problem(base + ("more_than",), "only source 'rectification_returned' takes "
                      "more_than")
    if rule.section is not None and rule.section not in sections:
        yield Problem(base + ("section",), unknown("section", rule.section, sections))
    if rule.points < 0:
        yield Problem(base + ("points",), f"must be 0 or more, got {rule.points}")
    elif rule.points == 0 and not rule.veto:
        yield Problem(base, "the rule neither deducts points nor vetoes; give points or veto")
    if rule.cap is not None and rule.cap < rule.points:
        yield Problem(base + ("max",), f"max {rule.cap} is less than the {rule.points} points "
                      "one occurrence deducts")


def _grades(checklist: Checklist) -> Iterator[Problem]:
    grades = checklist.grades
    yield from duplicate_names([g.name for g in grades], "grades", "grade")
    for index in range(1, len(grades)):
        if grades[index].min >= grades[index - 1].min:
            message = (f"grades go from the highest min down; {grades[index].min} is not below "
                       f"{grades[index - 1].min}")
            yield Problem(("grades", index, "min"), message)
    if grades and grades[-1].min != 0:
        yield Problem(("grades", len(grades) - 1, "min"),
                      "the last grade needs min: 0, so every total has a grade")


def _proposals(checklist: Checklist) -> Iterator[Problem]:
    for key in ("bottom_action", "veto_action"):
        action = getattr(checklist.proposals, key)
        if action not in ACCOUNTABILITY_ACTIONS:
            yield Problem(("proposals", key), unknown("action", action, ACCOUNTABILITY_ACTIONS))


def _yearly(checklist: Checklist) -> Iterator[Problem]:
    yearly = checklist.yearly
    if yearly is None:
        return
    if checklist.cycle in CYCLES and checklist.cycle != "quarterly":
        yield Problem(("yearly",), "only a quarterly checklist has a yearly evaluation")
    weights = yearly.quarter_weights
    if len(weights) != 4:
        yield Problem(("yearly", "quarter_weights"), f"give 4 weights (Q1 to Q4), got "
                      f"{len(weights)}")
    for index, weight in enumerate(weights):
        if weight < 0:
            yield Problem(("yearly", "quarter_weights", index), f"must be 0 or more, got {weight}")
    if weights and sum(weights, Decimal(0)) != ONE:
        yield Problem(("yearly", "quarter_weights"),
                      f"the quarter weights add up to {sum(weights, Decimal(0))}, not 1")
    share = yearly.quarters_share
    if not Decimal(0) < share <= ONE:
        yield Problem(("yearly", "quarters_share"), f"must be more than 0 and at most 1, got "
                      f"{share}")
    elif share < ONE and not yearly.items:
        yield Problem(("yearly", "quarters_share"), "the quarters are less than the whole year "
                      "but there are no yearly items to score the rest")
    elif share == ONE and yearly.items:
        yield Problem(("yearly", "items"), "yearly items need a share: set quarters_share below 1")
    for index, item in enumerate(yearly.items):
        yield from _criterion(("yearly", "items", index), item)

