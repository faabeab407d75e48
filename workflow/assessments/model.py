"""Assessment checklists as frozen objects: built once by the loader, read by everything else."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from workflow.definitions.model import Label


@dataclass(frozen=True)
class Criterion:
    """One thing a unit (or member) is scored on, out of `max_points`.

    A criterion with a `veto` text is a veto criterion (一票否决): when the scorer marks it
    failed, the subject fails whatever its points.
    """

    name: str
    label: Label
    max_points: Decimal
    guidance: Label | None = None
    evidence: bool = False
    veto: Label | None = None


@dataclass(frozen=True)
class Section:
    """A group of criteria with its share of the total (党建 60%, 业务 40%)."""

    name: str
    label: Label
    weight: Decimal
    criteria: tuple[Criterion, ...]

    @property
    def max_points(self) -> Decimal:
        return sum((c.max_points for c in self.criteria), Decimal(0))


@dataclass(frozen=True)
class Deduction:
    """An automatic deduction from the unit's record in the period (vocabulary.SOURCES)."""

    name: str
    label: Label
    source: str
    points: Decimal = Decimal(0)
    cap: Decimal | None = None
    section: str | None = None
    level: int | None = None
    more_than: int = 0
    veto: bool = False


@dataclass(frozen=True)
class Grade:
    """A band of totals: the first grade whose `min` the total reaches applies."""

    name: str
    label: Label
    min: Decimal
    stars: int = 0


@dataclass(frozen=True)
class Proposals:
    """How many top units are proposed for commendation, bottom ones for accountability."""

    commend_top: int = 1
    account_bottom: int = 1
    bottom_action: str = "admonish"
    veto_action: str = "criticise"


@dataclass(frozen=True)
class Yearly:
    """Yearly evaluation: weighted quarters plus items scored once a year."""

    quarter_weights: tuple[Decimal, ...]
    quarters_share: Decimal = Decimal(1)
    items: tuple[Criterion, ...] = ()


@dataclass(frozen=True)
class Rollup:
    """How subjects' totals roll up the tree: the mean, and what a vetoed subject does."""

    veto: str = "propagate"


@dataclass(frozen=True)
class Checklist:
    """One version of one assessment checklist."""

    name: str
    version: int
    label: Label
    cycle: str
    subject: str
    applies_to: tuple[str, ...]
    scored_by: tuple[str, ...]
    sections: tuple[Section, ...]
    description: Label | None = None
    deductions: tuple[Deduction, ...] = ()
    grades: tuple[Grade, ...] = ()
    proposals: Proposals = field(default_factory=Proposals)
    yearly: Yearly | None = None
    rollup: Rollup = field(default_factory=Rollup)
    source: str = ""
    source_hash: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for s in self.sections for c in s.criteria)

    def criterion(self, name: str, *, yearly: bool = False) -> Criterion | None:
        pool = self.yearly.items if yearly and self.yearly else self.criteria
        return next((c for c in pool if c.name == name), None)

    def grade(self, total: Decimal) -> Grade | None:
        """The grade a total earns (grades are checked to be in descending `min` order)."""
        return next((g for g in self.grades if total >= g.min), None)
