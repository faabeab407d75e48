"""Stage 1: parse YAML safely and remember the line of every mapping key and list item.

The document is composed once with PyYAML's safe loader: the node tree gives the lines (and shows
duplicate keys, which `safe_load` would silently collapse), then the same loader constructs the
plain data exactly as `yaml.safe_load` would. No tag can construct a Python object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from workflow.definitions.problems import DocPath, Problem

_MERGE_KEY = "<<"
#: more values than any definition needs; aliases repeated inside aliases can expand past it
MAX_VALUES = 100_000


@dataclass(frozen=True)
class LineMap:
    """Path → 1-based line; a path not recorded takes the line of its nearest recorded parent.

    Mapping keys are recorded as YAML wrote them (text); list items by index.
    """

    lines: dict[DocPath, int] = field(default_factory=dict)

    def line(self, path: DocPath) -> int:
        for end in range(len(path), 0, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return 1


@dataclass(frozen=True)
class Parsed:
    """The plain data, its line map, and the parser's problems.

    `readable` is False when the YAML could not be read at all; later stages then have nothing to
    check. Duplicate keys leave it readable (the last value wins, as in `safe_load`).
    """

    data: Any
    lines: LineMap
    problems: list[Problem]
    readable: bool = True


def parse(text: str) -> Parsed:
    """Parse one YAML document; syntax errors and duplicate keys become problems."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        return _unreadable(_syntax_problem(exc))
    except RecursionError:
        return _unreadable(Problem((), "invalid YAML: nested too deeply", line=1))
    finally:
        loader.dispose()
    if node is not None and _expanded_size(node, {}) > MAX_VALUES:
        message = f"the document expands to more than {MAX_VALUES} values (aliases within aliases)"
        return _unreadable(Problem((), message, line=1))
    lines: dict[DocPath, int] = {}
    problems: list[Problem] = []
    if node is not None:
        _walk(node, (), lines, problems, set())
    return Parsed(data, LineMap(lines), problems)


def _unreadable(problem: Problem) -> Parsed:
    return Parsed(None, LineMap(), [problem], readable=False)


def _expanded_size(node: Node, sizes: dict[int, int]) -> int:
    """How many values the data holds once every alias is expanded (each node costed once)."""
    if id(node) in sizes:
        return sizes[id(node)]
    sizes[id(node)] = 1  # a node that contains itself counts once
    children: list[Node] = []
    if isinstance(node, SequenceNode):
        children = node.value
    elif isinstance(node, MappingNode):
        children = [child for pair in node.value for child in pair]
    total = 1 + sum(_expanded_size(child, sizes) for child in children)
    sizes[id(node)] = total
    return total


def _syntax_problem(exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark else 1
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark and context_mark.line + 1 != line:
        context += f" started on line {context_mark.line + 1}"
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return Problem((), message, line=line)


def _walk(
    node: Node, path: DocPath, lines: dict[DocPath, int], problems: list[Problem], seen: set[int]
) -> None:
    """Record lines below `node`, visiting each node once.

    An alias is not followed again (paths below it take the alias's own line): that keeps the
    walk linear, as construction is, even for alias bombs and aliases that contain themselves.
    """
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, MappingNode):
        _walk_mapping(node, path, lines, problems, seen)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            lines[path + (index,)] = _line(item)
            _walk(item, path + (index,), lines, problems, seen)


def _walk_mapping(
    node: MappingNode,
    path: DocPath,
    lines: dict[DocPath, int],
    problems: list[Problem],
    seen: set[int],
) -> None:
    first_line: dict[str, int] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode) or key_node.value == _MERGE_KEY:
            continue
        key = key_node.value
        if key in first_line:
            message = f"duplicate key '{key}' (first on line {first_line[key]})"
            problems.append(Problem(path, message, line=_line(key_node)))
        else:
            first_line[key] = _line(key_node)
        lines[path + (key,)] = _line(key_node)
        _walk(value_node, path + (key,), lines, problems, seen)


def _line(node: Node) -> int:
    line: int = node.start_mark.line + 1
    return line
