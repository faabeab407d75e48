"""The fixed words an assessment checklist may use; adding one means implementing it."""

from __future__ import annotations

#: how long the period an assessment of this checklist covers is
CYCLES = ("monthly", "quarterly", "yearly")

#: what is scored: units (organisations) or members (people, rolled up to their units)
SUBJECTS = ("unit", "member")

#: where automatic deductions come from: the unit's record in the period
SOURCES = {
    "overdue_items": "items due in the period that were closed late or are still open past due",
    "escalation_level": "items due in the period that reached escalation `level` or higher",
    "rectification_returned": "rectification items sent back more than `more_than` times in "
    "the period",
    "spot_check_findings": "spot-check reviews in the period with a partly or non-compliant "
    "verdict",
    "closed_not_done": "closed items a spot check in the period found not really done",
}

#: what a confirmed accountability proposal asks for (the ladder's names, DESIGN.md)
ACCOUNTABILITY_ACTIONS = ("admonish", "criticise")

#: what a vetoed subject does to its parent in a roll-up
ROLLUP_VETO = ("propagate", "zero")

#: assessment verdicts on a checked object, kept apart from its workflow state
VERDICTS = ("compliant", "partly_compliant", "non_compliant")
