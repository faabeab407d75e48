"""A county with overdue items at several escalation levels, for the dashboard tests."""

from __future__ import annotations

from tests.conftest import PASSWORD, World
from tests.workflow.helpers import attach
from tests.workflow.sweep_helpers import fire, issue
from workflow.services.sweeps import run_sweep


def _close(world: World, item_id: int) -> None:
    """Carry a task through to closed (销号) at the clock's current moment."""
    fire(world, "handler_a", item_id, "sign_for")
    fire(world, "handler_a", item_id, "start")
    fire(world, "handler_a", item_id, "submit", {"evidence": [attach(world, item_id,
                                                                      content=b"%d" % item_id)]})
    fire(world, "inspector", item_id, "approve", {"comment": "材料齐全"}, password=PASSWORD)
    fire(world, "issuer", item_id, "close", password=PASSWORD)


def build_county(world: World) -> dict[str, int]:
    """Overdue items at several levels in branch A, its group and branch B; one not yet due;
    one closed on time, one closed late. The clock ends at START + 14 days, after a sweep."""
    ids = {
        "a_old": issue(world, days=2, title="甲支部早已逾期"),
        "a_new": issue(world, days=12, title="甲支部刚逾期"),
        "group": issue(world, days=5, to=world.group_a, title="小组逾期"),
        "b": issue(world, days=9, to=world.branch_b, title="乙支部逾期"),
        "b_later": issue(world, days=40, to=world.branch_b, title="乙支部未到期"),
        "own": issue(world, days=3, to=world.committee, title="工委本级逾期"),
        "on_time": issue(world, days=10, title="按期办结"),
        "late": issue(world, days=4, title="逾期办结"),
    }
    clock = world.rt.clock
    clock.advance(days=3)  # type: ignore[attr-defined]
    _close(world, ids["on_time"])
    clock.advance(days=5)  # type: ignore[attr-defined]
    run_sweep(world.rt, clock.now())
    _close(world, ids["late"])
    clock.advance(days=6)  # type: ignore[attr-defined]
    run_sweep(world.rt, clock.now())
    return ids
