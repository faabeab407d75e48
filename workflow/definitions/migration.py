"""Migration files: where the running items of a definition's old version land in a new one.

A new version of a definition may rename or remove states. Items keep the version they were
created with, so nothing changes under them until an administrator moves them with a file such
as `definitions/migrations/rectification-v1-to-v2.yaml`:

    kind: rectification
    from_version: 1
    to_version: 2
    reason: 整改流程简化：延期改由发文单位直接办理
    states:
      rectifying: in_progress            # renamed
      extension_requested: in_progress   # removed

A state the file does not list keeps its name, if the new version has a state of that name.
The file is read in the definitions' stages, with their `file:line: path: message` problems:
YAML and shape here (`load_migration`, no database needed), then meaning against the definition
versions loaded into the database (`check_migration`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import ValidationError, fields, post_load

from workflow.definitions.fields import Identifier, Text, Whole
from workflow.definitions.lines import LineMap, parse
from workflow.definitions.loader import _formatted
from workflow.definitions.model import Definition
from workflow.definitions.problems import Problem, describe, unknown
from workflow.definitions.schema import _problems, _Strict
from workflow.errors import DefinitionError
from workflow.registry import Registry


@dataclass(frozen=True)
class StateMigration:
    """One migration file: the old state → new state pairs and where they were read from."""

    kind: str
    from_version: int
    to_version: int
    states: tuple[tuple[str, str], ...] = ()
    reason: str | None = None
    source: str = ""
    source_hash: str = ""
    lines: LineMap = field(default_factory=LineMap, compare=False, repr=False)

    def target(self, state: str) -> str:
        """The new state of an item in `state`: as mapped, else the same name."""
        return dict(self.states).get(state, state)

    def maps(self, state: str) -> bool:
        return state in dict(self.states)


class StateMap(fields.Field):  # type: ignore[type-arg]
    """`old: new` pairs of state names; a problem is reported against its old state's key."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> tuple[tuple[str, str], ...]:
        if not isinstance(value, dict):
            raise ValidationError(
                f"expected a mapping of old state: new state, got {describe(value)}"
            )
        errors: dict[str, list[str]] = {}
        pairs = []
        for old, new in value.items():
            try:
                pairs.append((_name(old), _name(new)))
            except ValidationError as exc:
                errors[str(old)] = [str(m) for m in exc.messages]
        if errors:
            raise ValidationError(errors)
        return tuple(pairs)


def _name(value: Any) -> str:
    return str(Identifier().deserialize(value))


class MigrationSchema(_Strict):
    shape = "a mapping with kind, from_version, to_version and states"
    kind = Identifier(required=True)
    from_version = Whole(required=True, low=1)
    to_version = Whole(required=True, low=1)
    reason = Text()
    states = StateMap(load_default=())

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> StateMigration:
        return StateMigration(**data)


def load_migration(path: Path) -> StateMigration:
    """Read a migration file (YAML and shape). Raises DefinitionError with `file:line` problems."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DefinitionError([f"{source}: cannot read: {exc.strerror or exc}"]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DefinitionError([f"{source}:{line}: not UTF-8 text"]) from None
    parsed = parse(text)
    problems = list(parsed.problems)
    migration = None
    if parsed.readable:
        schema = MigrationSchema()
        try:
            migration = schema.load(parsed.data)
        except ValidationError as exc:
            problems += _problems(exc.messages, schema, ())
    if problems or migration is None:
        raise DefinitionError(_formatted(source, parsed.lines, problems))
    return StateMigration(
        migration.kind, migration.from_version, migration.to_version, migration.states,
        migration.reason, source, hashlib.sha256(data).hexdigest(), parsed.lines,
    )


def check_migration(migration: StateMigration, registry: Registry) -> tuple[Definition, Definition]:
    """Check the file against the loaded definitions; return the (old, new) definitions.

    Raises DefinitionError when the kind or a version is not loaded, or a listed state does not
    exist, or an open state is sent to a final one (a migration never closes an item).
    """
    versions = {d.version: d for d in registry.all() if d.kind == migration.kind}
    problems = list(_versions(migration, versions, registry.kinds()))
    if not problems:
        old, new = versions[migration.from_version], versions[migration.to_version]
        problems = list(_states(migration, old, new))
    if problems:
        raise DefinitionError(_formatted(migration.source, migration.lines, problems))
    return versions[migration.from_version], versions[migration.to_version]


def _versions(
    migration: StateMigration, versions: dict[int, Definition], kinds: list[str]
) -> list[Problem]:
    if not versions:
        return [Problem(("kind",), unknown("kind", migration.kind, kinds))]
    loaded = ", ".join(str(v) for v in sorted(versions))
    problems = []
    for key in ("from_version", "to_version"):
        version = getattr(migration, key)
        if version not in versions:
            message = (f"{migration.kind} version {version} is not loaded (loaded: {loaded}); "
                       "a new version is loaded by `sandan init` from the definitions directory")
            problems.append(Problem((key,), message))
    if migration.from_version == migration.to_version:
        problems.append(Problem(("to_version",), "must differ from from_version"))
    return problems


def _states(migration: StateMigration, old: Definition, new: Definition) -> list[Problem]:
    old_names = [s.name for s in old.states]
    new_names = [s.name for s in new.states]
    problems = []
    for before, after in migration.states:
        where = ("states", before)
        if before not in old_names:
            what = f"state of {old.kind} v{old.version}"
            problems.append(Problem(where, unknown(what, before, old_names)))
        elif after not in new_names:
            what = f"state of {new.kind} v{new.version}"
            problems.append(Problem(where, unknown(what, after, new_names)))
        elif new.is_final(after) and not old.is_final(before):
            problems.append(Problem(where, (
                f"'{after}' is a final state of {new.kind} v{new.version}; a migration moves "
                "running items and never closes them"
            )))
    return problems
