"""`sandan definitions check|show`: validate definition files, draw or dump one definition.

`check` is what CI runs: every problem on stderr as `file:line: path: message` and exit 1, or one
summary line per definition and exit 0. Errors are one line each, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import click

from workflow.config import Settings
from workflow.definitions.loader import load_directory, load_paths, to_normalised
from workflow.definitions.model import Definition
from workflow.errors import ConfigError, DefinitionError
from workflow.machine import diagram


@click.group()
def definitions() -> None:
    """List definitions (task, responsibility, rectification): check them, show one."""


@definitions.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def check_command(paths: tuple[Path, ...]) -> None:
    """Validate definition files and directories (default: the configured directory)."""
    loaded = _load(lambda: load_paths(paths or [_settings().definitions_path]))
    if not loaded:
        _fail("no definitions found (a directory is searched for *.yaml files)")
    for definition in loaded:
        click.echo(summary(definition))


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


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


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
