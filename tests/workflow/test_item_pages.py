"""Keyset pages of find_items: every visible item exactly once, in order, both directions,
across equal due dates and items without a due date (which sort last)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from tests.conftest import World
from tests.workflow.helpers import issue_task
from workflow.access import Scope
from workflow.models import Item
from workflow.queries import ItemFilter, find_items


def _pages(world: World, *, descending: bool, size: int) -> list[int]:
    scope, seen, after = Scope.of(world.person("issuer")), [], None
    for _ in range(20):
        page = find_items(world.rt, scope, ItemFilter(), limit=size, after=after,
                          descending=descending)
        seen += [item.id for item in page]
        if len(page) < size:
            return seen
        after = (page[-1].due_at, page[-1].id)
    raise AssertionError("paging did not end")


@pytest.mark.parametrize("size", [1, 2, 3])
def test_pages_cover_ties_and_undated_items_once_in_order(world: World, size: int) -> None:
    ids = [issue_task(world, title=f"事项{n}", days=days)
           for n, days in enumerate((30, 10, 30, 20, 30, 40, 10))]
    undated = ids[1], ids[4]
    with world.rt.transaction() as session:
        session.execute(update(Item).where(Item.id.in_(undated)).values(due_at=None))
    with world.rt.read() as session:
        items = {i.id: i for i in session.query(Item).where(Item.id.in_(ids))}
    dated = [i for i in ids if i not in undated]
    ascending = sorted(dated, key=lambda i: (items[i].due_at, i)) + sorted(undated)
    descending = sorted(dated, key=lambda i: (items[i].due_at, i), reverse=True) + sorted(
        undated, reverse=True)
    assert _pages(world, descending=False, size=size) == ascending
    assert _pages(world, descending=True, size=size) == descending
