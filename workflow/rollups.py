"""Roll-ups: the counts the leaders' dashboard reads, kept per unit for its whole subtree.

Counting items for a committee's overdue board or closure trend reads every matching item of
the tree (at a million items, tens to hundreds of milliseconds, more under load); these tables
hold the answer per unit instead, so a board is a few rows (workflow/models/rollups.py):

- `closure_counts`: items with a due date closed per UTC hour, on time or late. A closure happens
  at one moment, so the count is exact as soon as the closing transaction commits.
- `overdue_counts`: open items due at or before the "overdue" mark, per ladder level. "Overdue"
  depends on the clock, so the worker carries the mark forward each cycle (`advance_overdue`)
  and the dashboard adds the items that fell due between the mark and now from the open-items
  index: a minute's worth of items, not the whole tree. The answer stays exact.

Every write that changes what an item counts for (its unit, open flag, due date, ladder level,
closing time) tells this module with `note(before, after)`, and a unit moving in the tree with
`note_move`; the runtime applies what was noted just before the transaction commits
(`flush`), in key order, so writers never wait on each other in a cycle. On PostgreSQL the
mark row orders the two kinds of writers: a flush reads it FOR SHARE, the worker advances it
FOR UPDATE, so an item changed while the mark moves is counted exactly once.

`rebuild` recomputes both tables from the items (after a bulk load that bypassed the engine),
`differences` compares them with a recount (tests, `sandan rollups check`, bench/scale.py).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, func, select, true, update

from workflow.clock import as_utc
from workflow.db import analyze, insert_many, upsert
from workflow.models import ClosureCount, Item, OverdueCount, RollupMark

OVERDUE = "overdue"
_OVERDUE = OverdueCount.__table__
_CLOSED = ClosureCount.__table__
_MARKS = RollupMark.__table__
_ITEMS = Item.__table__
_local = threading.local()

OverdueKey = tuple[int, int]  # (org id, ladder level)
ClosedKey = tuple[int, int, bool]  # (org id, hour, on time)


@dataclass(frozen=True)
class Facts:
    """What of an item the roll-ups count."""

    org_path: str
    is_open: bool
    due_at: datetime | None
    escalation_level: int
    closed_at: datetime | None

    @classmethod
    def of(cls, row: Any, **changes: Any) -> Facts:
        """The facts of `row` (a Row or an Item), with `changes` applied over it."""
        def get(name: str) -> Any:
            return changes[name] if name in changes else getattr(row, name)
        return cls(get("org_path"), bool(get("is_open")), get("due_at"),
                   int(get("escalation_level") or 0), get("closed_at"))


def hour_of(at: datetime) -> int:
    """Hours since 1970-01-01 00:00 UTC: `closure_counts.hour`."""
    return int(as_utc(at).timestamp()) // 3600


def ancestors(path: str) -> list[int]:
    """The unit ids on a materialised path ("/1/5/12/" → [1, 5, 12]), the root first."""
    return [int(part) for part in path.strip("/").split("/") if part]


# -- noting changes during a transaction ------------------------------------------------------

def begin() -> None:
    """Start collecting for a new write transaction in this thread (the runtime calls it)."""
    _local.pending = []


def discard() -> None:
    """Forget what was noted (the transaction ended, either way)."""
    _local.pending = []


def note(before: Facts | None, after: Facts | None) -> None:
    """An item in this transaction changed from `before` to `after` (None: did not exist)."""
    if before != after:
        _pending().append(("item", before, after))


def note_move(org_id: int, old_path: str, new_path: str) -> None:
    """A unit moved with its subtree: its counts leave the old ancestors for the new ones."""
    if old_path != new_path:
        _pending().append(("move", org_id, old_path, new_path))


def noted() -> bool:
    """Whether this thread's transaction has noted anything."""
    return bool(getattr(_local, "pending", None))


def _pending() -> list[tuple[Any, ...]]:
    pending = getattr(_local, "pending", None)
    if pending is None:
        pending = _local.pending = []
    return pending


def flush(connection: Connection) -> None:
    """Apply what this transaction noted; the runtime calls it just before COMMIT."""
    pending, _local.pending = _pending(), []
    if not pending:
        return
    overdue: Counter[OverdueKey] = Counter()
    closed: Counter[ClosedKey] = Counter()
    needs_mark = any(kind == "move" or _may_be_overdue(rest) for kind, *rest in pending)
    mark = read_mark(connection, lock="share") if needs_mark else None
    for kind, *rest in pending:
        if kind == "move":
            _move(connection, *rest, overdue, closed)
        else:
            before, after = rest
            _count(before, mark, -1, overdue, closed)
            _count(after, mark, +1, overdue, closed)
    _add(connection, _OVERDUE, ("org_id", "escalation_level"), overdue)
    _add(connection, _CLOSED, ("org_id", "hour", "on_time"), closed)


def _may_be_overdue(pair: list[Any]) -> bool:
    return any(f is not None and f.is_open and f.due_at is not None for f in pair)


def _count(facts: Facts | None, mark: datetime | None, sign: int,
           overdue: Counter[OverdueKey], closed: Counter[ClosedKey]) -> None:
    if facts is None:
        return
    units = ancestors(facts.org_path)
    if facts.is_open:
        if mark is not None and facts.due_at is not None and facts.due_at <= mark:
            for unit in units:
                overdue[(unit, facts.escalation_level)] += sign
    elif facts.closed_at is not None and facts.due_at is not None:
        key = (hour_of(facts.closed_at), facts.closed_at <= facts.due_at)
        for unit in units:
            closed[(unit, *key)] += sign


def _move(connection: Connection, org_id: int, old_path: str, new_path: str,
          overdue: Counter[OverdueKey], closed: Counter[ClosedKey]) -> None:
    """The unit's subtree totals leave the ancestors it had and join those it has now."""
    old, new = set(ancestors(old_path)[:-1]), set(ancestors(new_path)[:-1])
    moves = [(unit, -1) for unit in old - new] + [(unit, +1) for unit in new - old]
    if not moves:
        return
    rows = connection.execute(select(_OVERDUE.c.escalation_level, _OVERDUE.c.n)
                              .where(_OVERDUE.c.org_id == org_id)).all()
    for unit, sign in moves:
        for level, n in rows:
            overdue[(unit, level)] += sign * n
    rows = connection.execute(select(_CLOSED.c.hour, _CLOSED.c.on_time, _CLOSED.c.n)
                              .where(_CLOSED.c.org_id == org_id)).all()
    for unit, sign in moves:
        for hour, on_time, n in rows:
            closed[(unit, hour, bool(on_time))] += sign * n


def _add(connection: Connection, table: Table, key: tuple[str, ...],
         deltas: Counter[Any]) -> None:
    """n += delta for each key (inserting missing rows), in key order."""
    rows = [{**dict(zip(key, k, strict=True)), "n": n}
            for k, n in sorted(deltas.items()) if n]
    if not rows:
        return
    statement = upsert(connection, table)
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={"n": table.c.n + statement.excluded.n})
    connection.execute(statement, rows)


# -- the overdue mark -------------------------------------------------------------------------

def read_mark(connection: Connection, *, lock: str | None = None) -> datetime | None:
    """How far `overdue_counts` has been carried (None: not yet, it is empty)."""
    query = select(_MARKS.c.at).where(_MARKS.c.name == OVERDUE)
    if connection.dialect.name == "postgresql" and lock:
        query = query.with_for_update(read=lock == "share")
    return connection.execute(query).scalar()


def advance_overdue(connection: Connection, to: datetime) -> int:
    """Carry the overdue mark to `to`: count the open items that fell due since the mark (or,
    for a clock set back, uncount those due after `to`). Returns how many items it moved."""
    _ensure_mark(connection)
    mark = read_mark(connection, lock="update")
    if mark == to:
        return 0
    if mark is None or to > mark:
        window, sign = _due_between(mark, to), +1
    else:
        window, sign = _due_between(to, mark), -1
    rows = connection.execute(
        select(_ITEMS.c.org_path, _ITEMS.c.escalation_level, func.count())
        .where(_ITEMS.c.is_open == true(), *window)
        .group_by(_ITEMS.c.org_path, _ITEMS.c.escalation_level)).all()
    overdue: Counter[OverdueKey] = Counter()
    for path, level, n in rows:
        for unit in ancestors(path):
            overdue[(unit, level)] += sign * n
    _add(connection, _OVERDUE, ("org_id", "escalation_level"), overdue)
    connection.execute(update(_MARKS).where(_MARKS.c.name == OVERDUE).values(at=to))
    if mark is None:  # the first count: every overdue item at once
        analyze(connection, _OVERDUE)
    return sum(n for _path, _level, n in rows)


def _due_between(start: datetime | None, end: datetime) -> list[Any]:
    """start < due_at <= end (no lower bound for None)."""
    terms = [_ITEMS.c.due_at <= end]
    if start is not None:
        terms.append(_ITEMS.c.due_at > start)
    return terms


def _ensure_mark(connection: Connection) -> None:
    if connection.execute(select(_MARKS.c.name).where(_MARKS.c.name == OVERDUE)).first() is None:
        connection.execute(upsert(connection, _MARKS).values(name=OVERDUE, at=None)
                           .on_conflict_do_nothing())


# -- recounting -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recount:
    overdue: Counter[OverdueKey]
    closed: Counter[ClosedKey]


def recount(connection: Connection, mark: datetime | None) -> Recount:
    """Both tables as the items say they should be, for the overdue mark `mark`."""
    overdue: Counter[OverdueKey] = Counter()
    if mark is not None:
        rows = connection.execute(
            select(_ITEMS.c.org_path, _ITEMS.c.escalation_level, func.count())
            .where(_ITEMS.c.is_open == true(), _ITEMS.c.due_at <= mark)
            .group_by(_ITEMS.c.org_path, _ITEMS.c.escalation_level))
        for path, level, n in rows:
            for unit in ancestors(path):
                overdue[(unit, level)] += n
    closed: Counter[ClosedKey] = Counter()
    for path, closed_at, due_at in _closed_items(connection):
        key = (hour_of(closed_at), closed_at <= due_at)
        for unit in ancestors(path):
            closed[(unit, *key)] += 1
    return Recount(overdue, closed)


def _closed_items(connection: Connection) -> Iterator[tuple[str, datetime, datetime]]:
    query = (select(_ITEMS.c.org_path, _ITEMS.c.closed_at, _ITEMS.c.due_at)
             .where(_ITEMS.c.is_open != true(), _ITEMS.c.closed_at.isnot(None),
                    _ITEMS.c.due_at.isnot(None)))
    for row in connection.execute(query.execution_options(yield_per=5000)):
        yield row.org_path, row.closed_at, row.due_at


def stored(connection: Connection) -> Recount:
    """Both tables as they are (rows at zero left out)."""
    overdue = Counter({(org, level): n for org, level, n in connection.execute(
        select(_OVERDUE.c.org_id, _OVERDUE.c.escalation_level, _OVERDUE.c.n)) if n})
    closed = Counter({(org, hour, bool(on_time)): n for org, hour, on_time, n in
                      connection.execute(select(_CLOSED.c.org_id, _CLOSED.c.hour,
                                                _CLOSED.c.on_time, _CLOSED.c.n)) if n})
    return Recount(overdue, closed)


def differences(connection: Connection) -> list[str]:
    """Where the stored counts differ from a recount; empty when they agree."""
    mark = read_mark(connection, lock="share")
    want, have = recount(connection, mark), stored(connection)
    found = []
    for name, wanted, held in (("overdue", want.overdue, have.overdue),
                               ("closed", want.closed, have.closed)):
        for key in sorted(set(wanted) | set(held)):
            if wanted[key] != held[key]:
                found.append(f"{name} {key}: stored {held[key]}, items say {wanted[key]}")
    return found


def rebuild(connection: Connection, mark: datetime) -> None:
    """Recount both tables from the items, the overdue mark at `mark`."""
    _ensure_mark(connection)
    read_mark(connection, lock="update")
    fresh = recount(connection, mark)
    connection.execute(delete(_OVERDUE))
    connection.execute(delete(_CLOSED))
    _insert(connection, _OVERDUE, ("org_id", "escalation_level"), fresh.overdue.items())
    _insert(connection, _CLOSED, ("org_id", "hour", "on_time"), fresh.closed.items())
    connection.execute(update(_MARKS).where(_MARKS.c.name == OVERDUE).values(at=mark))
    analyze(connection, _OVERDUE, _CLOSED)


def _insert(connection: Connection, table: Table, key: tuple[str, ...],
            counts: Iterable[tuple[Any, int]]) -> None:
    insert_many(connection, table,
                [{**dict(zip(key, k, strict=True)), "n": n} for k, n in sorted(counts) if n])
