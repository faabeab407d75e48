"""A problem found in a definition, and how it is written for people: `file:line: path: message`.

Checks describe *where* a problem is as a path into the document (`transitions[3].roles`); only
the loader knows the file and its line map, so it is the one that turns problems into text.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

#: A place in the parsed document: mapping keys (str) and list indices (int).
DocPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition.

    `path` is what the message is about; `at` may point somewhere more precise for the line
    (the offending list item inside `roles`); `line` is set when the parser already knows it.
    """

    path: DocPath
    message: str
    at: DocPath | None = None
    line: int | None = None


def dotted(path: DocPath) -> str:
    """`("transitions", 3, "roles")` → `transitions[3].roles`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")


def unknown(what: str, value: object, known: Iterable[str]) -> str:
    """`unknown role 'inspecter' (did you mean 'inspector'?)`, or the list of known words."""
    choices = [str(k) for k in known]
    close = difflib.get_close_matches(str(value), choices, n=1)
    if close:
        hint = f"did you mean '{close[0]}'?"
    elif choices:
        hint = "expected one of " + ", ".join(choices)
    else:
        hint = "there are none"
    return f"unknown {what} '{value}' ({hint})"


def describe(value: object) -> str:
    """A short human description of a YAML value, for "expected X, got Y" messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the yes/no value {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"the {type(value).__name__} {value}"


def words(
    path: DocPath, values: Iterable[str], what: str, known: Iterable[str]
) -> Iterator[Problem]:
    """A problem for each value not in the vocabulary `known`, pointing at its list item."""
    allowed = list(known)
    for index, value in enumerate(values):
        if value not in allowed:
            yield Problem(path, unknown(what, value, allowed), at=path + (index,))


def duplicate_names(names: Sequence[str], where: str, what: str) -> Iterator[Problem]:
    """A problem for each `where[i].name` already used by an earlier entry of the list."""
    first: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in first:
            message = f"duplicate {what} '{name}' (already at {where}[{first[name]}])"
            yield Problem((where, index, "name"), message)
        first.setdefault(name, index)
