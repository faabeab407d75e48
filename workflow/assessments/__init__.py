"""Supervision cycles: assessment checklists, scoring, periods, rankings (pure parts).

Checklists are data (`definitions/assessments/*.yaml`) validated like list definitions; the
services that write live in `workflow/services/` (spot_checks, assessments, evaluation).
"""
