"""Load definitions: YAML text → line map → shape → meaning → frozen `Definition`.

A definition with any problem is refused whole, and so is a directory with any bad file: callers
get every definition or a `DefinitionError` listing every problem as `file:line: path: message`.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from workflow.definitions.checks import check_definition
from workflow.definitions.lines import LineMap, parse
from workflow.definitions.model import Definition
from workflow.definitions.normalise import to_normalised
from workflow.definitions.problems import DocPath, Problem, dotted, unknown
from workflow.definitions.schema import load_shape
from workflow.errors import DefinitionError

__all__ = [
    "load_definition",
    "load_definition_text",
    "load_directory",
    "load_paths",
    "to_normalised",
]

#: the kind an effect creates items of, so the set of definitions must contain it
_EFFECT_KINDS = {"spawn_rectification": "rectification"}


@dataclass(frozen=True)
class _Loaded:
    """One file's outcome; the line map is kept for problems found across files."""

    source: str
    definition: Definition | None
    lines: LineMap
    problems: list[str]


def load_definition(path: Path) -> Definition:
    """Load one file; its `kind` must equal the file name. Raises DefinitionError."""
    return _accepted(_load_file(path))


def load_definition_text(text: str, source: str) -> Definition:
    """Load a definition from text; `source` names it in problems. Raises DefinitionError."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return _accepted(_load(text, source, digest))


def load_directory(path: Path) -> list[Definition]:
    """Load every `*.yaml` directly in `path` (not subfolders), checked together.

    Raises DefinitionError with the problems of every file and between files.
    """
    if not path.is_dir():
        raise DefinitionError([f"{path}: not a directory"])
    return load_paths([path])


def load_paths(paths: Iterable[Path]) -> list[Definition]:
    """Load files and directories (their `*.yaml`) as one set, checked together.

    Raises DefinitionError with the problems of every file and between files.
    """
    files, problems = _files(paths)
    loaded = [_load_file(file) for file in files]
    problems += [problem for result in loaded for problem in result.problems]
    good = [(result, result.definition) for result in loaded if result.definition is not None]
    problems += _across_files(good)
    if problems:
        raise DefinitionError(problems)
    return [definition for _, definition in good]


def _accepted(loaded: _Loaded) -> Definition:
    if loaded.definition is None:
        raise DefinitionError(loaded.problems)
    return loaded.definition


def _files(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    files: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            try:
                files += sorted(p for p in path.iterdir() if p.suffix == ".yaml" and p.is_file())
            except OSError as exc:
                problems.append(f"{path}: cannot read the directory: {exc.strerror or exc}")
        elif path.exists():
            files.append(path)
        else:
            problems.append(f"{path}: no such file or directory")
    return files, problems


def _load_file(path: Path) -> _Loaded:
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _Loaded(source, None, LineMap(), [f"{source}: cannot read: {exc.strerror or exc}"])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return _Loaded(source, None, LineMap(), [f"{source}:{line}: not UTF-8 text"])
    return _load(text, source, hashlib.sha256(data).hexdigest(), expected_kind=path.stem)


def _load(text: str, source: str, digest: str, expected_kind: str | None = None) -> _Loaded:
    parsed = parse(text)
    problems = list(parsed.problems)
    definition = None
    if parsed.readable:
        definition, shape_problems = load_shape(parsed.data)
        problems += shape_problems
    if definition is not None:
        problems += check_definition(definition)
        problems += _kind_matches(definition, expected_kind)
    if problems or definition is None:
        return _Loaded(source, None, parsed.lines, _formatted(source, parsed.lines, problems))
    final = replace(definition, source=source, source_hash=digest, raw=to_normalised(definition))
    return _Loaded(source, final, parsed.lines, [])


def _kind_matches(definition: Definition, expected: str | None) -> list[Problem]:
    if expected is None or definition.kind == expected:
        return []
    message = (
        f"'{definition.kind}' does not match the file name '{expected}.yaml'; "
        "a definition's file is named after its kind"
    )
    return [Problem(("kind",), message)]


def _formatted(source: str, lines: LineMap, problems: Iterable[Problem]) -> list[str]:
    """`file:line: path: message` for each problem, in the order of the file."""
    placed = [(p.line or lines.line(p.at or p.path), p) for p in problems]
    placed.sort(key=lambda pair: pair[0])
    return [_line_text(source, line, problem) for line, problem in placed]


def _line_text(source: str, line: int, problem: Problem) -> str:
    where = dotted(problem.path)
    prefix = f"{source}:{line}: "
    return prefix + (f"{where}: {problem.message}" if where else problem.message)


def _across_files(loaded: list[tuple[_Loaded, Definition]]) -> list[str]:
    """Problems between files: a kind defined twice, or a reference to a kind not in the set."""
    by_kind: dict[str, str] = {}
    problems: list[str] = []
    for result, definition in loaded:
        kind = definition.kind
        found = list(_references(definition, _known_kinds(loaded, result.source)))
        if kind in by_kind:
            found.append(Problem(("kind",), f"kind '{kind}' is already defined in {by_kind[kind]}"))
        by_kind.setdefault(kind, result.source)
        problems += _formatted(result.source, result.lines, found)
    return problems


def _known_kinds(loaded: list[tuple[_Loaded, Definition]], source: str) -> list[str]:
    """Kinds a definition may refer to: those loaded with it and those of the files beside it.

    The directory is looked at so that one file can be checked on its own; the files beside it
    are checked themselves whenever their directory is loaded.
    """
    kinds = {definition.kind for _, definition in loaded}
    with contextlib.suppress(OSError):
        kinds |= {p.stem for p in Path(source).parent.glob("*.yaml")}
    return sorted(kinds)


def _references(definition: Definition, kinds: list[str]) -> Iterator[Problem]:
    recurrence = definition.recurrence
    if recurrence is not None and recurrence.generates not in kinds:
        generates = unknown("kind", recurrence.generates, kinds)
        yield Problem(("recurrence", "generates"), generates)
    for index, t in enumerate(definition.transitions):
        for position, effect in enumerate(t.effects):
            needed = _EFFECT_KINDS.get(effect)
            if needed and needed not in kinds:
                path: DocPath = ("transitions", index, "effects")
                message = f"effect '{effect}' needs a definition of kind '{needed}' loaded with it"
                yield Problem(path, message, at=path + (position,))
