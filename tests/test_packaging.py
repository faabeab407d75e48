"""The wheel carries everything a plain `pip install sandan` needs at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from workflow.config import PROJECT_ROOT


@pytest.mark.slow
def test_the_wheel_ships_definitions_migrations_templates_and_translations(
        tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
         "--wheel-dir", str(tmp_path), str(PROJECT_ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = tmp_path.glob("sandan-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {str(p.relative_to(PROJECT_ROOT))
               for p in (PROJECT_ROOT / "definitions").rglob("*.yaml")}
    assert shipped and shipped <= names, sorted(shipped - names)
    assert "definitions/calendar/cn.yaml" in names
    assert any(n.startswith("workflow/migrations/versions/0001") for n in names)
    assert "web/templates/base.html" in names
    assert any(n.endswith("LC_MESSAGES/messages.mo") for n in names)
    assert not any(n.startswith("tests/") for n in names)
