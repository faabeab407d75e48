"""Moving running items to a new definition version: the dry run, refusals, the apply, the ledger.

Version 2 of the rectification list (fixtures/migrations/v2) renames `rectifying` to
`in_progress`, removes `extension_requested` and stops its ladder at level 3. Items are issued
on version 1 (the shipped file), then version 2 is loaded beside it, as `sandan init` does after
a definition file is changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import START, World
from tests.workflow.drive import Driver
from tests.workflow.migration_helpers import FIXTURES, MAPPING, issue_running
from workflow.checkpoints import verify
from workflow.clock import FixedClock
from workflow.definitions.migration import load_migration
from workflow.errors import DefinitionError, InvalidInput, NotAllowed
from workflow.models import Item, LedgerEntry
from workflow.services import orgs
from workflow.services.definition_migration import apply_migration, plan_migration
from workflow.services.sweeps import run_sweep

INVALID = FIXTURES / "invalid"


@pytest.fixture
def running(world: World) -> dict[str, int]:
    return issue_running(world)


def _items(world: World) -> dict[int, tuple[int, str, int]]:
    """(definition version, state, item version) of every item."""
    with world.rt.read() as session:
        rows = session.execute(select(Item.id, Item.definition_version, Item.state, Item.version))
        return {r.id: (r.definition_version, r.state, r.version) for r in rows}


def _ledger_size(world: World) -> int:
    with world.rt.read() as session:
        return session.scalar(select(func.count()).select_from(LedgerEntry)) or 0


def _verified(world: World) -> bool:
    with world.rt.read() as session:
        return verify(session, world.rt.checkpoint_path, world.rt.ledger_key()).ok


def test_a_new_version_loads_beside_the_old_one_and_running_items_keep_theirs(
    world: World, running: dict[str, int]
) -> None:
    drive = Driver(world)
    assert [d.version for d in world.rt.definitions.all() if d.kind == "rectification"] == [1, 2]
    assert drive.definition(drive.fresh("rectification")).version == 2  # new items: version 2
    old = running["rectifying"]
    step = drive.definition(old).transition("rectifying", "request_extension")
    assert step is not None  # a version 1 trigger, gone from version 2
    drive.fire(old, step, "handler_a")
    assert _items(world)[old][:2] == (1, "extension_requested")


def test_the_dry_run_lists_every_running_item_and_writes_nothing(
    world: World, running: dict[str, int]
) -> None:
    before, entries = _items(world), _ledger_size(world)
    report = plan_migration(world.rt, world.person("admin"), load_migration(MAPPING))
    moves = {m.item_id: (m.from_state, m.to_state) for m in report.moves}
    assert moves == {
        running["assigned"]: ("assigned", "assigned"),
        running["received"]: ("received", "received"),
        running["rectifying"]: ("rectifying", "in_progress"),
        running["extension_requested"]: ("extension_requested", "in_progress"),
        running["submitted"]: ("submitted", "submitted"),
        running["branch_b"]: ("assigned", "assigned"),
    }
    assert report.stuck == () and report.refusal() is None and not report.applied
    assert _items(world) == before and _ledger_size(world) == entries


def test_a_state_without_a_target_is_refused_naming_the_items(
    world: World, running: dict[str, int]
) -> None:
    before, entries = _items(world), _ledger_size(world)
    migration = load_migration(FIXTURES / "missing-state.yaml")
    report = plan_migration(world.rt, world.person("admin"), migration)
    assert [s.item_id for s in report.stuck] == [running["extension_requested"]]
    expected = (
        "refused: 1 item running in rectification v1 would have no place in v2: "
        f"'extension_requested' (1 item: {running['extension_requested']}). Map these states "
        f"under `states:` in {FIXTURES / 'missing-state.yaml'}; nothing was changed"
    )
    assert report.refusal() == expected
    with pytest.raises(InvalidInput) as refused:
        apply_migration(world.rt, world.person("admin"), migration)
    assert refused.value.message == expected
    assert refused.value.details["items"] == [running["extension_requested"]]
    assert _items(world) == before and _ledger_size(world) == entries


def test_apply_moves_every_running_item_with_one_ledger_entry_each(
    world: World, running: dict[str, int]
) -> None:
    before, entries = _items(world), _ledger_size(world)
    report = apply_migration(world.rt, world.person("admin"), load_migration(MAPPING))
    assert report.applied and len(report.moves) == 6
    after = _items(world)
    for move in report.moves:
        version = before[move.item_id][2]
        assert after[move.item_id] == (2, move.to_state, version + 1)
    assert after[running["closed"]] == before[running["closed"]]  # closed items keep v1
    assert _ledger_size(world) == entries + 6
    digest = hashlib.sha256(MAPPING.read_bytes()).hexdigest()
    with world.rt.read() as session:
        entry = session.scalars(select(LedgerEntry).where(
            LedgerEntry.item_id == running["extension_requested"]
        ).order_by(LedgerEntry.subject_seq.desc()).limit(1)).one()
        item = session.get_one(Item, running["extension_requested"])
    assert (entry.action, entry.from_state, entry.to_state) == (
        "migrate", "extension_requested", "in_progress")
    assert entry.actor_id == world.ids["admin"]
    assert entry.reason == "整改流程简化：延期改由发文单位直接办理"
    assert entry.inputs == {"kind": "rectification", "from_version": 1, "to_version": 2,
                            "mapping": MAPPING.name, "mapping_sha256": digest}
    assert (item.ledger_seq, item.ledger_head) == (entry.subject_seq, entry.hash)
    assert _verified(world)

    # the item now runs on version 2: its triggers, not version 1's
    drive = Driver(world)
    extend = drive.definition(running["rectifying"]).transition("in_progress", "extend")
    assert extend is not None
    drive.fire(running["rectifying"], extend, "issuer")
    assert _items(world)[running["rectifying"]][1] == "in_progress"
    assert _verified(world)


def test_a_second_apply_finds_nothing_to_do(world: World, running: dict[str, int]) -> None:
    migration = load_migration(MAPPING)
    apply_migration(world.rt, world.person("admin"), migration)
    items, entries = _items(world), _ledger_size(world)
    again = apply_migration(world.rt, world.person("admin"), migration)
    assert again.moves == () and again.stuck == ()
    assert _items(world) == items and _ledger_size(world) == entries


def test_deadlines_and_the_ladder_follow_the_new_version(
    world: World, running: dict[str, int]
) -> None:
    rt = world.rt
    overdue = running["rectifying"]
    for days in range(30, 70):  # due after 30 days: climb the whole four-level ladder
        run_sweep(rt, START + timedelta(days=days, hours=1))
    with rt.read() as session:
        climbed = session.get_one(Item, overdue)
        review = session.get_one(Item, running["submitted"])
    assert climbed.escalation_level == 4
    later = rt.with_clock(FixedClock(START + timedelta(days=70)))
    apply_migration(later, world.person("admin"), load_migration(MAPPING))
    with rt.read() as session:
        moved = session.get_one(Item, overdue)
        waiting = session.get_one(Item, running["submitted"])
        extension = session.get_one(Item, running["extension_requested"])
    assert moved.escalation_level == 3  # version 2's ladder has three levels
    assert (moved.escalated_at, moved.overdue_at) == (climbed.escalated_at, climbed.overdue_at)
    # a due clock is recomputed: past its reminders, the due date itself
    assert moved.next_deadline_at == moved.due_at
    # the reviewer's limit keeps running: the move gives no extra time
    assert waiting.next_deadline_at == review.next_deadline_at
    # a review state mapped to a due state starts the due clock
    assert extension.next_deadline_at is not None
    assert extension.next_deadline_at <= extension.due_at  # type: ignore[operator]
    # at the top of the shorter ladder: nothing more to climb, and nothing repeated
    report = run_sweep(rt, START + timedelta(days=71))
    assert [a for a in report.actions if a.item_id == overdue] == []
    assert report.counts()["criticise"] == 0


def test_only_administrators_migrate_and_only_their_part_of_the_tree(
    world: World, running: dict[str, int]
) -> None:
    migration = load_migration(MAPPING)
    for who in ("issuer", "handler_a", "leader"):
        with pytest.raises(NotAllowed):
            plan_migration(world.rt, world.person(who), migration)
        with pytest.raises(NotAllowed):
            apply_migration(world.rt, world.person(who), migration)
    orgs.grant_role(world.rt, world.person("admin"), person_id=world.ids["handler_b"],
                    org_id=world.branch_b, role="admin")
    report = apply_migration(world.rt, world.person("handler_b"), migration)
    assert [m.item_id for m in report.moves] == [running["branch_b"]]
    rest = plan_migration(world.rt, world.person("admin"), migration)
    assert running["branch_b"] not in [m.item_id for m in rest.moves]
    assert len(rest.moves) == 5


# file:line: path: message, relative to fixtures/migrations/invalid/
SHAPE = [
    "bad_state_name.yaml:7: states.extension_requested: 'In Progress' is not a valid name: use "
    "lower-case letters, digits and underscores, starting with a letter",
    "bad_yaml.yaml:6: invalid YAML: expected ',' or '}', but got '<stream end>' (while parsing "
    "a flow mapping started on line 5)",
    "duplicate_state.yaml:7: states: duplicate key 'rectifying' (first on line 6)",
    "states_list.yaml:5: states: expected a mapping of old state: new state, got a list",
    "unknown_key.yaml:1: to_version: required key is missing",
    "unknown_key.yaml:4: unknown key 'to_versoin' (did you mean 'to_version'?)",
    "version_text.yaml:3: from_version: expected a whole number, got the text '1'",
]
MEANING = [
    "final_target.yaml:7: states.extension_requested: 'closed' is a final state of "
    "rectification v2; a migration moves running items and never closes them",
    "same_version.yaml:4: to_version: must differ from from_version",
    "unknown_kind.yaml:2: kind: unknown kind 'rectificaton' (did you mean 'rectification'?)",
    "unknown_new_state.yaml:6: states.rectifying: unknown state of rectification v2 "
    "'in_progres' (did you mean 'in_progress'?)",
    "unknown_old_state.yaml:6: states.rectifyng: unknown state of rectification v1 "
    "'rectifyng' (did you mean 'rectifying'?)",
    "version_not_loaded.yaml:4: to_version: rectification version 3 is not loaded (loaded: "
    "1, 2); a new version is loaded by `sandan init` from the definitions directory",
]
def _problems(load: Callable[[], object]) -> list[str]:
    with pytest.raises(DefinitionError) as refused:
        load()
    return [p.removeprefix(f"{INVALID}/") for p in refused.value.problems]


@pytest.mark.parametrize("name", sorted({p.split(":")[0] for p in SHAPE}))
def test_a_malformed_mapping_file_is_refused_with_file_and_line(name: str) -> None:
    expected = [p for p in SHAPE if p.startswith(f"{name}:")]
    assert _problems(lambda: load_migration(INVALID / name)) == expected


def test_a_mapping_that_does_not_fit_the_loaded_versions_is_refused(
    world: World, running: dict[str, int]
) -> None:
    before = _items(world)
    for expected in MEANING:
        name = expected.split(":")[0]
        migration = load_migration(INVALID / name)
        assert _problems(lambda: plan_migration(world.rt, world.person("admin"),
                                                migration)) == [expected]  # noqa: B023
        assert _problems(lambda: apply_migration(world.rt, world.person("admin"),
                                                 migration)) == [expected]  # noqa: B023
    assert _items(world) == before
    assert sorted(p.name for p in INVALID.iterdir()) == sorted(
        {p.split(":")[0] for p in SHAPE + MEANING})
