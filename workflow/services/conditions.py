"""The conditions a definition may put on a transition (vocabulary.CONDITIONS), implemented.

A failed condition refuses the trigger with a reason; it is never a silent no-op.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, Select, bindparam, func, select, true
from sqlalchemy.orm import QueryableAttribute, Session

from workflow.definitions.model import TransitionDef
from workflow.errors import InvalidTransition
from workflow.models import Item, ItemEvidence, ItemLink

_ITEMS = Item.__table__
_LINKS = ItemLink.__table__
_EVIDENCE = ItemEvidence.__table__


def open_children(item_id: ColumnElement[int] | QueryableAttribute[int]) -> Select[int]:
    """How many child items of `item_id` are open; `item_id` is a parameter, or the id column
    of an outer query on items (the children are an alias, so they never correlate with it)."""
    child = _ITEMS.alias("open_child")
    return select(func.count()).where(child.c.parent_id == item_id, child.c.is_open == true())


def open_rectifications(item_id: ColumnElement[int] | QueryableAttribute[int]) -> Select[int]:
    """How many rectification items opened from `item_id` are open (as `open_children`)."""
    rectification = _ITEMS.alias("open_rectification")
    return (
        select(func.count())
        .select_from(_LINKS.join(rectification, rectification.c.id == _LINKS.c.from_item_id))
        .where(_LINKS.c.to_item_id == item_id, _LINKS.c.kind == "rectifies",
               rectification.c.is_open == true())
    )


# Built once, with the item as a parameter: an item read checks conditions to list the actions,
# and building a statement costs more Python than the database spends on these counts.
_OPEN_CHILDREN = open_children(bindparam("item_id"))
_OPEN_RECTIFICATIONS = open_rectifications(bindparam("item_id"))
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


#: `session.info` key of blocker counts a read already took, {(condition, item id): blockers}:
#: the item read takes them in its one statement (workflow/queries.py), so listing the actions
#: then costs no further round trip. They live as long as that read's session.
KNOWN = "sandan_condition_blockers"


def unmet(session: Session, item_id: int, step: TransitionDef) -> list[str]:
    """Reasons why `step` cannot fire now (empty when every condition holds)."""
    reasons = []
    known: dict[tuple[str, int], int] = session.info.get(KNOWN, {})
    for name in step.conditions:
        count_blockers, describe = _CHECKS[name]
        blockers = known.get((name, item_id))
        if blockers is None:
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
