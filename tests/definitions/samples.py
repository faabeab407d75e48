"""Small definition texts shared by the loader and command tests."""

from __future__ import annotations

import re
from pathlib import Path

from workflow.config import PROJECT_ROOT

SHIPPED = PROJECT_ROOT / "definitions"


def minimal(kind: str = "sample") -> str:
    """A small valid definition of `kind`; tests break it with `str.replace`."""
    return f"""\
kind: {kind}
version: 1
label: {{zh: 样例清单, en: Sample list}}
initial: assigned
states:
  - {{name: assigned, label: {{zh: 已交办, en: Assigned}}}}
  - {{name: closed, label: {{zh: 已销号, en: Closed}}, final: true}}
transitions:
  - trigger: close
    from: assigned
    to: closed
    roles: [issuer]
    label: {{zh: 销号, en: Close}}
"""


def readme_example() -> str:
    """The worked example of definitions/README.md, so the documentation cannot go stale."""
    readme = (SHIPPED / "README.md").read_text(encoding="utf-8")
    found = re.search(r"```yaml\n(.*?)```", readme, re.S)
    assert found, "definitions/README.md has no yaml example"
    return found.group(1)


def copy_shipped(into: Path) -> None:
    """Copy the shipped definitions (not the assessments) into a directory."""
    for path in SHIPPED.glob("*.yaml"):
        (into / path.name).write_bytes(path.read_bytes())
