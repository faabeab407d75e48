"""What every subcommand needs: the Runtime built from the environment."""

from __future__ import annotations

from workflow.config import Settings
from workflow.runtime import Runtime


def runtime() -> Runtime:
    """A Runtime from the `SANDAN_*` environment (ConfigError explains a bad setting)."""
    return Runtime(Settings.from_env())
