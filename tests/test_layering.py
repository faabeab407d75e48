"""The architecture's import rules, checked by import-linter in every test run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken" in result.stdout


def test_workflow_source_never_names_the_faces() -> None:
    """A second, plain-text guard: no import of flask, api or web anywhere under workflow/."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in (ROOT / "workflow").rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if line.lstrip().startswith(("import flask", "from flask", "import api", "from api",
                                     "import web", "from web", "import werkzeug", "from werkzeug"))
    ]
    assert offenders == []
