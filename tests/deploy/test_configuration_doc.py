"""docs/configuration.md's table names every setting Sandan reads, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from workflow.config import _KNOWN

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_the_table_documents_every_setting_and_only_those() -> None:
    rows = [line for line in DOC.read_text().splitlines() if line.startswith("| `SANDAN_")]
    documented = {name for row in rows
                  for name in re.findall(r"`(SANDAN_[A-Z_]+)`", row.split(" | ")[0])}
    assert sorted(_KNOWN - documented) == [], "settings missing from docs/configuration.md"
    assert sorted(documented - _KNOWN) == [], "the table names settings Sandan does not read"
