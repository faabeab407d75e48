"""The conditions a definition may put on a transition (vocabulary.CONDITIONS), implemented.

A failed condition refuses the trigger with a reason; it is never a silent no-op.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import bindparam, func, select, true
from sqlalchemy.orm import Session

from workflow.definitions.model import TransitionDef
from workflow.errors import InvalidTransition
from workflow.models import Item, ItemEvidence, ItemLink

_ITEMS = Item.__table__
_LINKS = ItemLink.__table__
_EVIDENCE = ItemEvidence.__table__

# Built once, with the item as a parameter: an item read checks conditions to list the actions,
# and building a statement costs more Python than the database spends on these counts.
_OPEN_CHILDREN = select(func.count()).where(_ITEMS.c.parent_id == bindparam("item_id"),
                                            _ITEMS.c.is_open == true())
_OPEN_RECTIFICATIONS = (
    select(func.count())
    .select_from(_LINKS.join(_ITEMS, _ITEMS.c.id == _LINKS.c.from_item_id))
    .where(_LINKS.c.to_item_id == bindparam("item_id"), _LINKS.c.kind == "rectifies",
           _ITEMS.c.is_open == true())
)
_EVIDENCE_COUNT = select(func.count()).where(_EVIDENCE.c.item_id == bindparam("item_id"))


def _open_children(session: Session, item_id: int) -> int:
    return int(session.execute(_OPEN_CHILDREN, {"item_id": item_id}).scalar_one())


def _open_rectifications(session: Session, item_id: int) -> int:
    return int(session.execute(_OPEN_RECTIFICATIONS, {"item_id": item_id}).scalar_one())


def _evidence_count(session: Session, item_id: int) -> int:
    return int(session.execute(_EVIDENCE_COUNT, {"item_id": item_id}).scalar_one())


_CHECKS: dict[str, tuple[Callable[[Session, int], int], Callable[[int], str]]] = {
    "all_children_closed": (_open_children, lambda n: f"{n} child item(s) are still open"),
    "linked_rectifications_closed": (
        _open_rectifications,
        lambda n: f"{n} rectification item(s) opened from this item are still open",
    ),
    "has_evidence": (
        lambda s, i: 0 if _evidence_count(s, i) else 1,
        lambda n: "no evidence is attached to the item",
    ),
}


def unmet(session: Session, item_id: int, step: TransitionDef) -> list[str]:
    """Reasons why `step` cannot fire now (empty when every condition holds)."""
    reasons = []
    for name in step.conditions:
        count_blockers, describe = _CHECKS[name]
        blockers = count_blockers(session, item_id)
        if blockers:
            reasons.append(describe(blockers))
    return reasons


def require(session: Session, item_id: int, step: TransitionDef) -> None:
    reasons = unmet(session, item_id, step)
    if reasons:
        raise InvalidTransition(
            f"'{step.trigger}' cannot be fired yet: " + "; ".join(reasons), reasons=reasons
        )
