"""The arithmetic, by hand: weights, deductions and their caps, vetoes, grades, ties, years."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.workflow.supervision.conftest import MINI
from workflow.assessments.loader import load_checklist_text
from workflow.assessments.periods import parse_period
from workflow.assessments.ranking import Subject, rank, roll_up
from workflow.assessments.sampling import draw
from workflow.assessments.scoring import Entry, compute, grade_fields, yearly_total
from workflow.errors import InvalidInput

CHECKLIST = load_checklist_text(MINI, "mini.yaml")


def entries(meetings: str = "40", integrity: str = "45", sales: str = "80",
            veto: bool = False) -> dict[str, Entry]:
    return {"meetings": Entry(Decimal(meetings)), "integrity": Entry(Decimal(integrity), veto),
            "sales": Entry(Decimal(sales))}


def test_sections_are_weighted() -> None:
    result = compute(CHECKLIST, entries(), {})
    # party: 0.6 × 85/100 × 100 = 51; business: 0.4 × 80 = 32
    assert [s["score"] for s in result["sections"]] == ["51.00", "32.00"]
    assert (result["total"], result["grade"], result["stars"]) == ("83.00", "good", 4)


def test_deductions_count_per_occurrence_up_to_their_cap() -> None:
    result = compute(CHECKLIST, entries(), {"overdue": 5, "findings": 2})
    by_name = {d["name"]: d for d in result["deductions"]}
    assert by_name["overdue"]["points"] == "3.00"  # 5 × 2 = 10, capped at 3
    assert by_name["findings"]["points"] == "2.00"  # 2 × 1, no cap
    # party: 85 − 5 = 80 → 0.6 × 80 = 48; total 48 + 32
    assert result["total"] == "80.00"


def test_deductions_never_take_a_section_below_zero() -> None:
    result = compute(CHECKLIST, entries("0", "1"), {"not_done": 3})
    assert result["sections"][0]["score"] == "0.00"
    assert result["total"] == "32.00"


def test_a_failed_veto_fails_whatever_the_points() -> None:
    result = compute(CHECKLIST, entries("50", "50", "100", veto=True), {})
    assert result["total"] == "100.00"
    assert result["vetoed"] is True
    assert result["veto"] == ["criterion:integrity"]
    assert (result["grade"], result["stars"]) == ("fail", 0)


def test_unscored_criteria_are_listed_and_count_nothing() -> None:
    result = compute(CHECKLIST, {"sales": Entry(Decimal(100))}, {})
    assert result["missing"] == ["meetings", "integrity"]
    assert result["total"] == "40.00"


def standing(total: str, vetoed: bool = False, name: str = "x", path: str = "/1/") -> Subject:
    return Subject(ord(name[0]), name, path, {"total": total, "vetoed": vetoed,
                                                   "veto": ["criterion:integrity"] if vetoed
                                                   else []})


def test_ties_share_a_rank_and_the_next_rank_is_skipped() -> None:
    subjects = [standing("80.00", name="b", path="/1/3/"), standing("90.00", name="a",
                path="/1/2/"), standing("80.00", name="c", path="/1/4/"),
                standing("70.00", name="d", path="/1/5/"), standing("99.00", True, "v", "/1/6/"),
                Subject(9, "p", "/1/7/", None)]
    ranking = rank(subjects)
    assert [(s.subject.name, s.rank, s.tied, s.status) for s in ranking] == [
        ("a", 1, False, "ranked"), ("b", 2, True, "ranked"), ("c", 2, True, "ranked"),
        ("d", 4, False, "ranked"), ("v", None, False, "vetoed"), ("p", None, False, "pending")]


def test_roll_up_is_the_mean_and_a_veto_propagates_or_counts_zero() -> None:
    members = [standing("90.00", name="m1", path="/1/2/"),
               standing("70.00", name="m2", path="/1/2/"),
               standing("80.00", True, name="m3", path="/1/3/")]
    groups = [Subject(2, "g2", "/1/2/", None), Subject(3, "g3", "/1/3/", None)]
    branch = [Subject(1, "b", "/1/", None)]

    def grading(total: Decimal, vetoed: bool) -> dict[str, object]:
        return grade_fields(CHECKLIST, total, vetoed)

    by_group = {s.name: s.result for s in roll_up(members, groups, "propagate", grading)}
    assert (by_group["g2"]["total"], by_group["g2"]["vetoed"]) == ("80.00", False)
    assert (by_group["g3"]["total"], by_group["g3"]["vetoed"]) == ("80.00", True)
    zero = roll_up(members, branch, "zero", grading)[0].result
    assert (zero["total"], zero["vetoed"], zero["members"]) == ("53.33", False, 3)


def test_a_year_weights_its_quarters_and_adds_its_items() -> None:
    quarters = [{"total": "80.00", "vetoed": False}, {"total": "90.00", "vetoed": False},
                None, {"total": "70.00", "vetoed": False}]
    result = yearly_total(CHECKLIST, quarters, {"total": "100.00", "vetoed": False})
    # 0.5 × (0.1×80 + 0.2×90 + 0.3×0 + 0.4×70) + 0.5 × 100 = 0.5 × 54 + 50
    assert result["total"] == "77.00"
    assert result["missing"] == ["Q3"]
    vetoed = yearly_total(CHECKLIST, [quarters[0], {"total": "99", "vetoed": True}, None, None],
                          None)
    assert vetoed["vetoed"] is True and vetoed["veto"] == ["Q2"]
    assert vetoed["missing"] == ["Q3", "Q4", "yearly_items"]


def test_the_draw_depends_only_on_the_set_the_size_and_the_seed() -> None:
    population = list(range(100, 160))
    first = draw(population, 5, 20260301)
    assert draw(list(reversed(population)), 5, 20260301) == first
    assert len(set(first)) == 5 and set(first) <= set(population)
    assert draw(population, 5, 20260302) != first


@pytest.mark.parametrize(("text", "label", "first", "end"), [
    ("2026-03", "2026-03", "2026-03-01", "2026-04-01"),
    ("2026q4", "2026Q4", "2026-10-01", "2027-01-01"),
    ("2026", "2026", "2026-01-01", "2027-01-01"),
])
def test_periods(text: str, label: str, first: str, end: str) -> None:
    period = parse_period(text)
    assert (period.label, period.first_day.isoformat(), period.end_day.isoformat()) == (
        label, first, end)


def test_a_period_is_local_time() -> None:
    from zoneinfo import ZoneInfo

    start, end = parse_period("2026Q1").bounds(ZoneInfo("Asia/Shanghai"))
    assert start.isoformat() == "2025-12-31T16:00:00+00:00"
    assert end.isoformat() == "2026-03-31T16:00:00+00:00"
    with pytest.raises(InvalidInput, match="not a month"):
        parse_period("2026-13")
