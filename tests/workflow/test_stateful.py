"""Random sequences of legal and illegal actions against a model of the engine (Hypothesis).

The model knows the definitions, who holds which role where, and the order in which the engine
checks things; it predicts, for every action, either the exact error or the exact move. After
every step the items, the model and the ledger must agree: an item's state is the fold of its
ledger entries, its version is one more than its transition entries, and a refused action leaves
the ledger and the item exactly as they were.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from tests.conftest import PASSWORD, START, World
from tests.workflow.helpers import issue_task
from tests.workflow.test_ledger import fold
from workflow.definitions.model import TransitionDef
from workflow.errors import (
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotFound,
    SandanError,
    VersionConflict,
)
from workflow.models import Item, LedgerEntry
from workflow.services.evidence import attach_evidence
from workflow.services.items import TransitionResult, fire_transition

LEDGER = LedgerEntry.__table__
DUE = (START + timedelta(days=60)).isoformat()
VALID: dict[str, Any] = {
    "comment": "按要求办理", "reason": "情况说明", "due": DUE, "verdict": "compliant",
    "fields": {"measures": "完善会议记录"}, "score": "8.5",
}
BAD: dict[str, Any] = {
    "comment": "", "reason": "", "due": "明天", "verdict": "great", "fields": {"severity": "?"},
    "evidence": ["not-a-hash"], "assignee": "branch", "score": "lots",
}
#: the ways a move is spoilt (a spoilt trigger or actor is drawn from everyone and everything)
SPOIL: dict[str, list[Any]] = {
    "trigger": [], "actor": [],
    "inputs": ["none", "missing", "junk", "bad"],
    "version": ["stale", "future"],
    "password": ["wrong-password-1", None],
}


class Model:
    """Who may see and act where, written down independently of workflow.access."""

    def __init__(self, world: World) -> None:
        c, a, b, g = world.committee, world.branch_a, world.branch_b, world.group_a
        self.orgs = [c, a, b, g]
        sub = {c: {c, a, b, g}, a: {a, g}, b: {b}, g: {g}}
        everywhere = set(self.orgs)
        #: person -> (orgs whose items they see, {role: orgs where they hold it})
        self.people: dict[str, tuple[set[int], dict[str, set[int]]]] = {
            "admin": (everywhere, {r: everywhere for r in ("handler", "issuer", "inspector")}),
            "issuer": (everywhere, {"issuer": everywhere}),
            "leader": (everywhere, {}),
            "inspector": (sub[a] | sub[b], {"inspector": sub[a] | sub[b]}),
            "handler_a": (sub[a], {"handler": sub[a]}),
            "handler_a2": (sub[a], {"handler": sub[a]}),
            "handler_b": (sub[b], {"handler": sub[b]}),
            "group_handler": (sub[g], {"handler": sub[g]}),
        }

    def sees(self, who: str, org: int) -> bool:
        return org in self.people[who][0]

    def holds(self, who: str, role: str, org: int) -> bool:
        return org in self.people[who][1].get(role, set())


def test_random_actions_keep_items_and_ledger_in_step(world: World) -> None:
    rt = world.rt
    model = Model(world)
    persons = {name: world.person(name) for name in model.people}
    names = sorted(persons)
    definitions = {kind: rt.definitions.get(kind) for kind in ("task", "rectification")}
    triggers = sorted({t.trigger for d in definitions.values() for t in d.transitions})
    triggers.append("no_such_trigger")

    def ledger_count() -> int:
        with rt.read() as session:
            return int(session.scalar(select(func.count()).select_from(LEDGER)) or 0)

    def load(item_id: int) -> tuple[dict[str, Any], list[Any]]:
        with rt.read() as session:
            item = session.get_one(Item, item_id)
            row = {c.key: getattr(item, c.key) for c in Item.__table__.columns}
            entries = list(session.execute(
                select(LEDGER).where(LEDGER.c.subject == f"item:{item_id}")
                .order_by(LEDGER.c.subject_seq)))  # rows: they compare by value
        return row, entries

    class Engine(RuleBasedStateMachine):
        """Drives a few fresh items per example; the database is shared between examples."""

        def __init__(self) -> None:
            super().__init__()
            self.items: list[int] = []
            self.state: dict[int, str] = {}  # what the model says each item's state is
            self.kind: dict[int, str] = {}
            self.org: dict[int, int] = {}
            self.history: dict[int, list[tuple[str, str]]] = {}  # (trigger, who) that worked
            self.rectifications: dict[int, list[int]] = {}
            self.uploads = 0
            self.attached: dict[int, list[str]] = {}  # the hashes uploaded to each item

        def track(self, item_id: int, kind: str, org: int) -> None:
            self.items.append(item_id)
            self.kind[item_id], self.org[item_id] = kind, org
            self.state[item_id] = definitions[kind].initial
            self.history[item_id], self.rectifications[item_id] = [], []

        @initialize()
        def issue(self) -> None:
            for number in range(2):
                self.track(issue_task(world, title=f"随机任务{number}"), "task", world.branch_a)

        @precondition(lambda self: len(self.open_items()) < 3)
        @rule()
        def issue_another(self) -> None:
            self.track(issue_task(world, title="追加任务"), "task", world.branch_a)

        def predict(self, item_id: int, who: str, trigger: str, version_ok: bool,
                    mode: str, password: str | None,
                    inputs: dict[str, Any] | None) -> type[SandanError] | TransitionDef:
            """The engine's checks in its order: the error it must raise, or the step it takes."""
            org, definition = self.org[item_id], definitions[self.kind[item_id]]
            if not model.sees(who, org):
                return NotFound
            if not version_ok:
                return VersionConflict
            step = definition.transition(self.state[item_id], trigger)
            if step is None:
                return InvalidTransition
            if not any(model.holds(who, role, org) for role in step.roles):
                return NotAllowed
            if mode in ("junk", "bad") or (mode in ("none", "missing") and step.requires):
                return InvalidInput
            named = (inputs or {}).get("evidence") or []
            if any(h not in self.attached.get(item_id, []) for h in named):
                return InvalidInput  # evidence must be attached to this very item
            if step.signature and password is None:
                return InvalidInput
            if step.signature and password != PASSWORD:
                return NotAllowed
            earlier = [w for t, w in self.history[item_id] if t in step.separation_of_duties]
            if earlier and earlier[-1] == who:
                return NotAllowed
            if "linked_rectifications_closed" in step.conditions and any(
                not definitions["rectification"].is_final(self.state[r])
                for r in self.rectifications[item_id]
            ):
                return InvalidTransition
            return step

        def inputs(self, data: st.DataObject, item_id: int, step: TransitionDef | None,
                   mode: str) -> dict[str, Any] | None:
            if mode == "none":
                return None
            if step is None:  # an impossible trigger: send something plausible anyway
                return {"comment": VALID["comment"]}
            wanted = list(step.requires) + [n for n in step.optional if data.draw(st.booleans())]
            values = {name: self.valid(data, item_id, name) for name in wanted}
            if mode == "missing" and step.requires:
                del values[data.draw(st.sampled_from(step.requires))]
            elif mode == "junk":
                values["state"] = "closed"
            elif mode == "bad" and not step.inputs:
                values["comment"] = VALID["comment"]  # this trigger takes no inputs at all
            elif mode == "bad":
                name = data.draw(st.sampled_from(step.inputs), label="bad input")
                values[name] = BAD[name]
            return values

        def valid(self, data: st.DataObject, item_id: int, name: str) -> Any:
            if name == "evidence":  # mostly a file of this item; sometimes one of nowhere
                here = self.attached.get(item_id, [])
                if here and data.draw(st.integers(0, 3), label="evidence of the item"):
                    return [data.draw(st.sampled_from(here), label="evidence")]
                self.uploads += 1
                return [f"{self.uploads:064x}"]
            if name == "assignee":
                return data.draw(st.sampled_from(model.orgs), label="assignee")
            return VALID[name]

        def open_items(self) -> list[int]:
            return [i for i in self.items
                    if not definitions[self.kind[i]].is_final(self.state[i])]

        @rule(data=st.data(), aim=st.sampled_from(["legal"] * 4 + list(SPOIL) + ["any"]))
        def act(self, data: st.DataObject, aim: str) -> None:
            """Mostly a move that could work (an open item, a trigger of its state, an entitled
            actor, valid inputs, the current version, the right password); otherwise such a
            move spoilt in one respect, or anything at all."""
            spoil = set(SPOIL) if aim == "any" else {aim}
            pick = self.open_items() if aim != "any" and self.open_items() else self.items
            item_id = data.draw(st.sampled_from(pick), label="item")
            definition = definitions[self.kind[item_id]]
            # going forward is likelier than withdrawing or handing the item back
            here = [t.trigger for t in definition.transitions_from(self.state[item_id])
                    for _ in range(1 if t.trigger in ("withdraw", "return_to_issuer") else 3)]
            trigger = data.draw(st.sampled_from(triggers if "trigger" in spoil or not here
                                                else here), label="trigger")
            step = definition.transition(self.state[item_id], trigger)
            able = [n for n in names if step and any(
                model.holds(n, r, self.org[item_id]) for r in step.roles)]
            who = data.draw(st.sampled_from(names if "actor" in spoil or not able else able),
                            label="who")
            mode, version, password = "valid", "current", PASSWORD
            if "inputs" in spoil:
                mode = data.draw(st.sampled_from(SPOIL["inputs"]), label="inputs")
            if "version" in spoil:
                version = data.draw(st.sampled_from(SPOIL["version"]), label="version")
            if "password" in spoil:
                password = data.draw(st.sampled_from(SPOIL["password"]), label="password")
            inputs = self.inputs(data, item_id, step, mode)
            before, entries = load(item_id)
            count = ledger_count()
            expected_version = before["version"] + {"current": 0, "stale": -1, "future": 1}[version]
            expected = self.predict(item_id, who, trigger, version == "current", mode, password,
                                    inputs)
            try:
                result = fire_transition(rt, persons[who], item_id, trigger, inputs,
                                         expected_version=expected_version, password=password)
            except SandanError as exc:
                event(f"refused: {type(exc).__name__}")
                assert expected is type(exc), f"expected {expected}, got {exc!r}"
                assert load(item_id) == (before, entries), "a refusal changed the item"
                assert ledger_count() == count, "a refusal wrote to the ledger"
                return
            assert isinstance(expected, TransitionDef), f"expected {expected}, it worked"
            event(f"moved: {self.kind[item_id]} {trigger}")
            self.moved(item_id, who, expected, result, before, count, inputs)

        def moved(self, item_id: int, who: str, step: TransitionDef, result: TransitionResult,
                  before: dict[str, Any], count: int, inputs: dict[str, Any] | None) -> None:
            assert (result.from_state, result.state) == (self.state[item_id], step.dest)
            assert result.version == before["version"] + 1
            assert ledger_count() == count + 1 + len(result.spawned)
            self.state[item_id] = step.dest
            self.history[item_id].append((step.trigger, who))
            if "reassign" in step.effects:
                assert inputs is not None
                self.org[item_id] = inputs["assignee"]
            for spawned in result.spawned:
                self.track(spawned, "rectification", self.org[item_id])
                self.rectifications[item_id].append(spawned)

        @rule(data=st.data(), who=st.sampled_from(names))
        def attach(self, data: st.DataObject, who: str) -> None:
            item_id = data.draw(st.sampled_from(self.items), label="item")
            org = self.org[item_id]
            final = definitions[self.kind[item_id]].is_final(self.state[item_id])
            expected = (NotFound if not model.sees(who, org)
                        else NotAllowed if not model.holds(who, "handler", org) or final
                        else None)
            count, before = ledger_count(), load(item_id)
            self.uploads += 1
            try:
                done = attach_evidence(rt, persons[who], item_id, "记录.pdf",
                                       io.BytesIO(f"upload {self.uploads}".encode()))
            except SandanError as exc:
                assert expected is type(exc), f"expected {expected}, got {exc!r}"
                assert ledger_count() == count and load(item_id) == before
                return
            assert expected is None, f"expected {expected}, the upload worked"
            assert ledger_count() == count + 1
            self.attached.setdefault(item_id, []).append(done.sha256)

        @invariant()
        def items_and_ledger_agree(self) -> None:
            for item_id in self.items:
                row, entries = load(item_id)
                assert row["state"] == self.state[item_id] == fold(entries)
                assert row["version"] == 1 + sum(e.action == "transition" for e in entries)
                assert row["assignee_org_id"] == self.org[item_id]
                assert [e.subject_seq for e in entries] == list(range(1, len(entries) + 1))
                assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
                assert (row["ledger_seq"], row["ledger_head"]) == (len(entries), entries[-1].hash)
                assert row["is_open"] is not definitions[self.kind[item_id]].is_final(row["state"])

    run_state_machine_as_test(Engine, settings=settings(
        max_examples=15, stateful_step_count=20, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    ))
