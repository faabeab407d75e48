"""Definitions by (kind, version) with their compiled machines: built once, then read-only."""

from __future__ import annotations

from collections.abc import Iterable

from transitions import Machine

from workflow.definitions.model import Definition
from workflow.errors import NotFound
from workflow.machine import compile_machine


class Registry:
    """Every loaded definition version; running items keep theirs even after a newer one loads."""

    def __init__(self, definitions: Iterable[Definition]) -> None:
        self._definitions: dict[tuple[str, int], Definition] = {}
        self._machines: dict[tuple[str, int], Machine] = {}
        self._latest: dict[str, int] = {}
        for definition in definitions:
            key = (definition.kind, definition.version)
            self._definitions[key] = definition
            self._machines[key] = compile_machine(definition)
            kind = definition.kind
            self._latest[kind] = max(self._latest.get(kind, 0), definition.version)

    def get(self, kind: str, version: int | None = None) -> Definition:
        """The definition of `kind` at `version` (the latest when None); NotFound otherwise."""
        key = (kind, version if version is not None else self._latest.get(kind, 0))
        try:
            return self._definitions[key]
        except KeyError:
            known = ", ".join(sorted(self._latest)) or "none"
            raise NotFound(
                f"no definition '{kind}' version {key[1]} (known kinds: {known})"
            ) from None

    def machine(self, kind: str, version: int) -> Machine:
        self.get(kind, version)
        return self._machines[(kind, version)]

    def kinds(self) -> list[str]:
        return sorted(self._latest)

    def latest(self) -> list[Definition]:
        latest = sorted(self._latest.items())
        return [self._definitions[(kind, version)] for kind, version in latest]

    def all(self) -> list[Definition]:
        return [self._definitions[key] for key in sorted(self._definitions)]
