"""Load assessment checklists: YAML text → line map → shape → meaning → frozen `Checklist`.

The same stages and the same `file:line: path: message` problems as list definitions
(`workflow.definitions.loader`); a checklist with any problem is refused whole, and so is a
directory with any bad file.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from workflow.assessments.checks import check_checklist
from workflow.assessments.model import Checklist
from workflow.assessments.schema import load_checklist_shape
from workflow.definitions.lines import LineMap, parse
from workflow.definitions.problems import Problem, dotted
from workflow.errors import DefinitionError

#: checklists live in this folder of the definitions directory
FOLDER = "assessments"


def checklist_directory(definitions_path: Path) -> Path:
    return definitions_path / FOLDER


def load_checklist(path: Path) -> Checklist:
    """Load one file; its `name` must equal the file name. Raises DefinitionError."""
    checklist, problems = _load_file(path)
    if checklist is None:
        raise DefinitionError(problems)
    return checklist


@functools.lru_cache(maxsize=64)
def load_checklist_text(text: str, source: str) -> Checklist:
    """Load a checklist from stored text (cached: stored versions never change)."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    checklist, problems = _load(text, source, digest)
    if checklist is None:
        raise DefinitionError(problems)
    return checklist


def load_checklists(paths: Iterable[Path]) -> list[Checklist]:
    """Load files and directories (their `*.yaml`) as one set; names must be unique.

    Raises DefinitionError with the problems of every file.
    """
    files: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix == ".yaml" and p.is_file())
        elif path.exists():
            files.append(path)
        else:
            problems.append(f"{path}: no such file or directory")
    loaded: dict[str, Checklist] = {}
    for file in files:
        checklist, found = _load_file(file)
        problems += found
        if checklist is None:
            continue
        if checklist.name in loaded:
            problems.append(f"{file}:1: name: checklist '{checklist.name}' is already defined in "
                            f"{loaded[checklist.name].source}")
        loaded.setdefault(checklist.name, checklist)
    if problems:
        raise DefinitionError(problems)
    return list(loaded.values())


def _load_file(path: Path) -> tuple[Checklist | None, list[str]]:
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [f"{source}: cannot read: {exc.strerror or exc}"]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [f"{source}:{line}: not UTF-8 text"]
    return _load(text, source, hashlib.sha256(data).hexdigest(), expected=path.stem)


def _load(
    text: str, source: str, digest: str, expected: str | None = None
) -> tuple[Checklist | None, list[str]]:
    parsed = parse(text)
    problems = list(parsed.problems)
    checklist = None
    if parsed.readable:
        checklist, shape_problems = load_checklist_shape(parsed.data)
        problems += shape_problems
    if checklist is not None:
        problems += check_checklist(checklist)
        if expected is not None and checklist.name != expected:
            problems.append(Problem(("name",), f"'{checklist.name}' does not match the file name "
                                    f"'{expected}.yaml'; a checklist's file is named after it"))
    if problems or checklist is None:
        return None, _formatted(source, parsed.lines, problems)
    return replace(checklist, source=source, source_hash=digest), []


def _formatted(source: str, lines: LineMap, problems: Iterable[Problem]) -> list[str]:
    placed = sorted(((p.line or lines.line(p.at or p.path), p) for p in problems),
                    key=lambda pair: pair[0])
    texts = []
    for line, problem in placed:
        where = dotted(problem.path)
        texts.append(f"{source}:{line}: " + (f"{where}: {problem.message}" if where
                                             else problem.message))
    return texts
