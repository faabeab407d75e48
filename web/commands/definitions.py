"""`sandan definitions check|show|migrate`: validate definition files, draw or dump one definition.

`check` is what CI runs: every problem on stderr as `file:line: path: message` and exit 1, or one
summary line per definition and exit 0. Errors are one line each, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import click

from web.commands.migrate import migrate
from workflow.assessments.loader import FOLDER, load_checklists
from workflow.assessments.model import Checklist
from workflow.config import Settings
from workflow.definitions.loader import load_directory, load_paths, to_normalised
from workflow.definitions.model import Definition
from workflow.errors import ConfigError, DefinitionError
from workflow.machine import diagram


@click.group()
def definitions() -> None:
    """List definitions (task, responsibility, rectification): check, show, migrate items."""


definitions.add_command(migrate)

@definitions.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def check_command(paths: tuple[Path, ...]) -> None:
    """Validate definition files and directories (default: the configured directory).

    A directory's `assessments/` folder, and any file in a folder of that name, holds assessment
    checklists; they are checked too, and every problem of both kinds is reported.
    """
    lists, checklists = split_checklists(list(paths) or [_settings().definitions_path])
    problems: list[str] = []
    loaded: list[Definition] = []
    found: list[Checklist] = []
    try:
        loaded = load_paths(lists) if lists or not checklists else []
    except DefinitionError as exc:
        problems += exc.problems
    try:
        found = load_checklists(checklists)
    except DefinitionError as exc:
        problems += exc.problems
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise SystemExit(1)
    if not loaded and not found:
        _fail("no definitions found (a directory is searched for *.yaml files)")
    for definition in loaded:
        click.echo(summary(definition))
    for checklist in found:
        click.echo(checklist_summary(checklist))


def split_checklists(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """(list definition paths, checklist paths): checklists live in `assessments/` folders."""
    lists: list[Path] = []
    checklists: list[Path] = []
    for path in paths:
        if path.name == FOLDER or (path.is_file() and path.parent.name == FOLDER):
            checklists.append(path)
            continue
        lists.append(path)
        if path.is_dir() and (path / FOLDER).is_dir():
            checklists.append(path / FOLDER)
    return lists, checklists


def checklist_summary(checklist: Checklist) -> str:
    """`checklist branch_work v1: quarterly, 16 criteria (2 veto), 6 deduction rules (...)`."""
    vetoes = sum(1 for c in checklist.criteria if c.veto is not None)
    counts = ", ".join([
        checklist.cycle,
        _count(len(checklist.criteria), "criterion", "criteria") + f" ({vetoes} veto)",
        _count(len(checklist.deductions), "deduction rule"),
    ])
    return f"checklist {checklist.name} v{checklist.version}: {counts} ({checklist.source})"


@definitions.command("show")
@click.argument("kind")
@click.option(
    "--format",
    "output",
    type=click.Choice(["mermaid", "json"]),
    default="mermaid",
    show_default=True,
    help="a state diagram, or the normalised definition",
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
def show_command(kind: str, output: str, lang: str) -> None:
    """Print one definition from the configured directory as mermaid or JSON."""
    by_kind = {d.kind: d for d in _load(lambda: load_directory(_settings().definitions_path))}
    definition = by_kind.get(kind)
    if definition is None:
        _fail(f"unknown kind '{kind}'; known kinds: {', '.join(sorted(by_kind)) or 'none'}")
    if output == "json":
        click.echo(json.dumps(to_normalised(definition), ensure_ascii=False, indent=2))
    else:
        click.echo(diagram(definition, lang=lang))


def summary(definition: Definition) -> str:
    """`task v1: 10 states, 15 transitions, 4 escalation levels (definitions/task.yaml)`."""
    counts = ", ".join(
        _count(len(items), noun)
        for items, noun in (
            (definition.states, "state"),
            (definition.transitions, "transition"),
            (definition.escalation, "escalation level"),
        )
    )
    return f"{definition.kind} v{definition.version}: {counts} ({definition.source})"


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number} " + (noun if number == 1 else plural or noun + "s")


def _load(load: Callable[[], list[Definition]]) -> list[Definition]:
    """Run a loader; print every problem and exit 1 if the definitions are refused."""
    try:
        return load()
    except DefinitionError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise SystemExit(1) from None


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        _fail(exc.message)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(1)
