"""The escalation forecast, computed by the worker once per cycle and read by the dashboard.

The forecast is the sweep's dry run (services/sweeps.forecast): every open item due by the end of
the window has its ladder planned in Python, seconds per call at the root of a million items. The
worker runs it once per cycle for the whole tree and the dashboard's horizon (`FORECAST_DAYS`)
and stores each escalation with its item's unit path and the counts per level and action under
every unit (models/forecasts.py), replacing the previous snapshot in one transaction. A unit's
forecast is then a few rows of its counts and a range of its path in
`ix_forecast_escalations_path` for the first entries (a tree of a million items holds tens of
thousands of escalations in 7 days: counting 37,000 per view took 13-15 ms, more than sorting
them for the first 50).

A worker skips the refresh when a snapshot within one refresh period of its moment is already
stored: the worker interval, but at least a fifth of SANDAN_FORECAST_MAX_AGE (60 s by default),
since a worker sweeping every few seconds would otherwise repeat the whole tree's dry run every
few seconds. This is checked before the dry run and again under the snapshot row's lock before
writing, so workers sharing a database refresh it about once per period between them and their
writes never interleave (on SQLite the one worker's transaction is BEGIN IMMEDIATE).

The dashboard uses the snapshot when it is of the asked horizon and fresh (`as_of` not in the
future and no older than SANDAN_FORECAST_MAX_AGE) and computes live otherwise. The read is one
statement (`STORED`), so the snapshot row, the counts and the entries come from one refresh even
when a worker commits the next one in between, with no transaction around it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    bindparam,
    cast,
    delete,
    literal_column,
    null,
    select,
    union_all,
    update,
)

from workflow.access import subtree_bounds
from workflow.clock import as_utc
from workflow.db import DriverStatement, UTCDateTime, analyze, insert_many, upsert
from workflow.models import ForecastCount, ForecastEscalation, ForecastSnapshot, Item
from workflow.rollups import ancestors
from workflow.runtime import Runtime
from workflow.services.sweep_events import Action
from workflow.services.sweeps import forecast

#: the horizon the worker stores: the dashboard's default
FORECAST_DAYS = 7
#: the snapshot row's name
ESCALATIONS = "escalations"

_SNAPSHOTS = ForecastSnapshot.__table__
_ENTRIES = ForecastEscalation.__table__
_COUNTS = ForecastCount.__table__
_ITEMS = Item.__table__
_IN_SUBTREE = (_ENTRIES.c.org_path >= bindparam("low"), _ENTRIES.c.org_path < bindparam("high"))

_FIRST = (select(_ENTRIES.c.seq, _ENTRIES.c.item_id, _ENTRIES.c.at, _ENTRIES.c.level,
                 _ENTRIES.c.action)
          .where(*_IN_SUBTREE).order_by(_ENTRIES.c.seq)
          .limit(bindparam("limit", type_=Integer)).subquery("first"))


def _nothing(type_: Any) -> Any:
    """A typed NULL: PostgreSQL takes a UNION column's type from its branches, never from an
    untyped NULL (two of them make it text)."""
    return cast(null(), type_)


#: a unit's part of the stored forecast in one statement, which sees one snapshot on either
#: database, so all three parts come from one refresh even when a worker commits the next one
#: meanwhile: part 0 the snapshot row (`level` its horizon in days), part 1 the unit's counts per
#: level and action (`seq` the first escalation's, to order the actions as the live forecast
#: does), part 2 the subtree's first `limit` escalations with their items' titles (the limit
#: before the join)
STORED = union_all(
    select(literal_column("0").label("part"), _SNAPSHOTS.c.as_of.label("at"),
           _SNAPSHOTS.c.until, _SNAPSHOTS.c.days.label("level"), _nothing(String).label("action"),
           _nothing(Integer).label("n"), _nothing(Integer).label("seq"),
           _nothing(Integer).label("item_id"), _nothing(String).label("title"))
    .where(_SNAPSHOTS.c.name == ESCALATIONS),
    select(literal_column("1"), _nothing(UTCDateTime), _nothing(UTCDateTime), _COUNTS.c.level,
           _COUNTS.c.action, _COUNTS.c.n, _COUNTS.c.first_seq, _nothing(Integer),
           _nothing(String))
    .where(_COUNTS.c.org_id == bindparam("org_id")),
    select(literal_column("2"), _FIRST.c.at, _nothing(UTCDateTime), _FIRST.c.level,
           _FIRST.c.action, _nothing(Integer), _FIRST.c.seq, _FIRST.c.item_id, _ITEMS.c.title)
    .join_from(_FIRST, _ITEMS, _ITEMS.c.id == _FIRST.c.item_id),
).order_by("part", "seq")

#: planned for its values each time: the same plan cannot fit a committee's range and a unit's
_STORED = DriverStatement(STORED, prepare=False)

Entry = tuple[int, str, datetime, int, str]  # item id, title, at, level, action


@dataclass(frozen=True)
class Stored:
    """A unit's part of the stored forecast."""

    as_of: datetime
    until: datetime
    levels: dict[int, int]
    actions: dict[str, int]
    entries: list[Entry]


def soonest_first(actions: Iterable[Action]) -> list[Action]:
    """Escalations in the order the dashboard lists them (stable: an item's own in plan order)."""
    return sorted(actions, key=lambda a: (a.at, a.item_id))


# -- the worker's refresh ---------------------------------------------------------------------

def refresh_forecast(rt: Runtime, as_of: datetime | None = None) -> bool:
    """Store the whole tree's escalations for the next FORECAST_DAYS as of `as_of` (default: the
    clock's now), unless a snapshot within one refresh period of it is stored already.

    Returns whether it stored one.
    """
    moment = as_utc(as_of) if as_of is not None else rt.clock.now()
    with rt.read() as session:
        if _recent(rt, _stored_as_of(session.connection()), moment):
            return False
    until = moment + timedelta(days=FORECAST_DAYS)
    escalations = soonest_first(forecast(rt, until, escalations_only=True).actions)
    rows = [{"seq": n, "item_id": a.item_id, "org_path": a.org_path, "at": a.at,
             "level": a.level, "action": a.action} for n, a in enumerate(escalations)]
    snapshot = {"as_of": moment, "until": until, "days": FORECAST_DAYS,
                "computed_at": rt.clock.now()}
    with rt.write_connection() as connection:
        return _replace(rt, connection, snapshot, rows, _per_unit(rows))


def _per_unit(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The escalations counted under every unit above them, per level and action."""
    counts: dict[tuple[int, int, str], dict[str, Any]] = {}
    for row in rows:  # in seq order: the first row counted under a key has its first seq
        for org_id in ancestors(row["org_path"]):
            key = (org_id, row["level"], row["action"])
            if key in counts:
                counts[key]["n"] += 1
            else:
                counts[key] = {"org_id": org_id, "level": row["level"], "action": row["action"],
                               "n": 1, "first_seq": row["seq"]}
    return list(counts.values())


def _replace(rt: Runtime, connection: Connection, snapshot: dict[str, Any],
             rows: list[dict[str, Any]], counts: list[dict[str, Any]]) -> bool:
    """Swap in the new snapshot under its row's lock; False when another worker's is as good."""
    stored = _stored_as_of(connection, lock=True)
    if stored is None:
        if not _insert_snapshot(connection, snapshot):
            return False  # another worker stored the first one meanwhile
    elif _recent(rt, stored, snapshot["as_of"]):
        return False
    else:
        connection.execute(update(ForecastSnapshot).where(_SNAPSHOTS.c.name == ESCALATIONS)
                           .values(snapshot))
    for table, values in ((_ENTRIES, rows), (_COUNTS, counts)):
        connection.execute(delete(table))
        insert_many(connection, table, values)
    analyze(connection, _ENTRIES, _COUNTS)  # visible with the rows, at COMMIT
    return True


def _stored_as_of(connection: Connection, *, lock: bool = False) -> datetime | None:
    query = select(_SNAPSHOTS.c.as_of).where(_SNAPSHOTS.c.name == ESCALATIONS)
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return connection.execute(query).scalar()


def _insert_snapshot(connection: Connection, snapshot: dict[str, Any]) -> bool:
    """The first snapshot row; on PostgreSQL a concurrent first insert waits for this one's
    transaction and then inserts nothing."""
    statement = (upsert(connection, _SNAPSHOTS).values(name=ESCALATIONS, **snapshot)
                 .on_conflict_do_nothing().returning(_SNAPSHOTS.c.name))
    return connection.execute(statement).first() is not None


def _recent(rt: Runtime, stored: datetime | None, moment: datetime) -> bool:
    """A stored snapshot less than one refresh period from `moment`, on either side."""
    settings = rt.settings
    period = timedelta(seconds=max(settings.worker_interval, settings.forecast_max_age / 5))
    return stored is not None and abs(moment - stored) < period


# -- the dashboard's read -----------------------------------------------------------------------

def stored_forecast(connection: Connection, org_id: int, path: str, *, days: int,
                    now: datetime, max_age: float, limit: int) -> Stored | None:
    """The unit's part of the stored forecast (`path` is its path), or None when none fits
    (another horizon, too old, or ahead of `now`): one statement (`STORED`)."""
    low, high = subtree_bounds(path)
    rows = _STORED.all(connection, {"org_id": org_id, "low": low, "high": high, "limit": limit})
    snapshot = rows[0] if rows and rows[0].part == 0 else None
    if snapshot is None or not _fresh(snapshot.at, snapshot.level, days, now, max_age):
        return None
    levels: dict[int, int] = {}
    actions: dict[str, tuple[int, int]] = {}  # action → (first seq, count)
    for row in rows:
        if row.part == 1:
            levels[row.level] = levels.get(row.level, 0) + row.n
            seen, total = actions.get(row.action, (row.seq, 0))
            actions[row.action] = (min(seen, row.seq), total + row.n)
    ordered = sorted(actions.items(), key=lambda pair: pair[1][0])
    return Stored(snapshot.at, snapshot.until, dict(sorted(levels.items())),
                  {action: count for action, (_first, count) in ordered},
                  [(row.item_id, row.title, row.at, row.level, row.action)
                   for row in rows if row.part == 2])


def _fresh(as_of: datetime, horizon: int, days: int, now: datetime, max_age: float) -> bool:
    return horizon == days and as_of <= now and now - as_of <= timedelta(seconds=max_age)
