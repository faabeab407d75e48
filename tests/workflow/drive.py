"""Driving items through their definitions for tests: to any state, with valid inputs.

Paths are found by a breadth-first search over the definition's transitions, so a test can ask
for "an item in state `submitted`" without spelling out how to get there, and stays right when a
definition changes. Each step is fired by the person who normally holds its first role.
"""

from __future__ import annotations

import itertools
from collections import deque
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from tests.conftest import PASSWORD, World
from tests.workflow.helpers import attach, issue_task
from workflow.access import Scope
from workflow.definitions.model import Definition, TransitionDef
from workflow.models import Item, ItemLink, Person
from workflow.services.items import TransitionResult, fire_transition

#: who fires a step needing this role when a test does not say
ACTING = {"handler": "handler_a", "inspector": "inspector", "issuer": "issuer",
          "leader": "leader", "admin": "admin"}
_UNIQUE = itertools.count(1)


class Driver:
    """Moves items of `world` through their state machines."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.rt = world.rt

    def item(self, item_id: int) -> Item:
        with self.rt.read() as session:
            return session.get_one(Item, item_id)

    def definition(self, item_id: int) -> Definition:
        item = self.item(item_id)
        return self.rt.definitions.get(item.kind, item.definition_version)

    def fresh(self, kind: str = "task", state: str | None = None) -> int:
        """A new item of `kind` issued to branch A, driven to `state` (default: its initial)."""
        item_id = issue_task(self.world, kind=kind)
        if state is not None:
            self.drive(item_id, state)
        return item_id

    def drive(self, item_id: int, goal: str) -> None:
        for step in self.path(self.definition(item_id), self.item(item_id).state, goal):
            self.satisfy(item_id, step)
            self.fire(item_id, step, ACTING[step.roles[0]])

    @staticmethod
    def path(definition: Definition, start: str, goal: str) -> list[TransitionDef]:
        """The shortest list of steps from `start` to `goal` (self-loops never help)."""
        routes: dict[str, list[TransitionDef]] = {start: []}
        queue = deque([start])
        while queue:
            state = queue.popleft()
            if state == goal:
                return routes[state]
            for step in definition.transitions_from(state):
                if step.dest not in routes:
                    routes[step.dest] = [*routes[state], step]
                    queue.append(step.dest)
        raise AssertionError(f"{definition.kind}: no path from {start} to {goal}")

    def inputs(self, item_id: int, step: TransitionDef) -> dict[str, Any]:
        """Valid values for every input the step requires."""
        now = self.rt.clock.now()
        values: dict[str, Any] = {
            "comment": "已阅，按要求办理。", "reason": "情况说明", "verdict": "compliant",
            "due": (now + timedelta(days=45)).isoformat(), "assignee": self.world.branch_a,
            "fields": {}, "score": "90",
        }
        made = {name: values[name] for name in step.requires if name != "evidence"}
        if "evidence" in step.requires:
            content = f"佐证材料 {next(_UNIQUE)}".encode()
            made["evidence"] = [attach(self.world, item_id, content=content)]
        return made

    def satisfy(self, item_id: int, step: TransitionDef) -> None:
        """Meet the step's conditions (close linked rectifications; children are never made)."""
        if "linked_rectifications_closed" in step.conditions:
            with self.rt.read() as session:
                linked = session.scalars(select(ItemLink.from_item_id).where(
                    ItemLink.to_item_id == item_id, ItemLink.kind == "rectifies")).all()
            for other in linked:
                definition = self.definition(other)
                finals = [s.name for s in definition.states if s.final]
                self.drive(other, "closed" if "closed" in finals else finals[0])

    def fire(self, item_id: int, step: TransitionDef, who: str | None,
             inputs: dict[str, Any] | None = None) -> TransitionResult:
        """Fire `step` as `who` (a world person's name; None is an anonymous actor)."""
        actor: Person | Scope = self.world.person(who) if who else Scope.of(None)
        values = self.inputs(item_id, step) if inputs is None else inputs
        return fire_transition(self.rt, actor, item_id, step.trigger, values,
                               expected_version=self.item(item_id).version,
                               password=PASSWORD if who else None)
