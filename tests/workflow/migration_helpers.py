"""Running rectification items of version 1, and version 2 loaded beside it (shared by the engine
and CLI tests of moving items between definition versions)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import World
from tests.workflow.drive import Driver
from tests.workflow.helpers import issue_task
from workflow.schema import store_definitions

FIXTURES = Path(__file__).parent / "fixtures" / "migrations"
MAPPING = FIXTURES / "rectification-v1-to-v2.yaml"
STATES = ("assigned", "received", "rectifying", "extension_requested", "submitted", "closed")


def issue_running(world: World) -> dict[str, int]:
    """Item ids by the state they were left in (and `branch_b`: one at branch B), all on
    rectification v1; then rectification v2 is loaded, as `sandan init` does after an edit."""
    drive = Driver(world)
    ids = {state: drive.fresh("rectification", state) for state in STATES}
    ids["branch_b"] = issue_task(world, kind="rectification", to=world.branch_b)
    store_definitions(world.rt, FIXTURES / "v2")
    return ids
