"""The leaders' dashboard: overdue items per child unit and escalation level, on-time closure
rates over time, what will escalate in the coming days, and the items behind one bar.

Every function takes a unit the actor can reach (a unit inside a subtree where the actor holds a
role or inspects; anything else is NotFound, the rule `workflow.queries.find_items` applies to its
`unit` filter). Inside such a unit every item is visible through `Scope.item_filter`'s org_path
terms, so the counts below need no further scope condition: they count exactly what the actor
may see, and each stays an index-only range scan of a covering partial index (its WHERE repeated
term by term, as SQLite requires):

- overdue counts: `ix_items_open_level` (org_path, escalation_level, due_at) WHERE is_open;
- closure rates: `ix_items_closed_window` (closed_at, org_path, due_at) WHERE NOT is_open: the
  window's closures of the whole tree, filtered by path inside the index (a path-first index
  would read every item the subtree ever closed, a second at the root of a million items);
- the forecast: the worker's stored snapshot of the sweep's dry run (services/forecasts), the
  unit's counts and a range of `ix_forecast_escalations_path`; without a fresh one, the dry run
  itself (services/sweeps.forecast) on one subtree, through `ix_items_open_path_deadline`.

The drill-down is `find_items` itself with the overdue filter, so a bar and its list agree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    case,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from workflow import rollups
from workflow.access import Scope, in_subtree
from workflow.clock import as_utc
from workflow.db import DriverStatement
from workflow.errors import InvalidInput, NotFound
from workflow.models import ClosureCount, Item, Organisation, OverdueCount, Person, RollupMark
from workflow.queries import ItemFilter, Position, find_items
from workflow.runtime import Runtime
from workflow.services.forecasts import (
    FORECAST_DAYS,
    soonest_first,
    stored_forecast,
)
from workflow.services.supervision import ancestors, scope_of, within
from workflow.services.sweeps import forecast

Period = Literal["week", "month"]
#: the longest window a trend or forecast may ask for (keeps each query bounded)
MAX_PERIODS = 52
MAX_FORECAST_DAYS = 31


@dataclass(frozen=True)
class Unit:
    id: int
    name: str
    path: str


@dataclass(frozen=True)
class UnitOverdue:
    """One child unit's overdue open items (its whole subtree), in total and per level."""

    unit: Unit
    overdue: int
    levels: dict[int, int]


@dataclass(frozen=True)
class OverdueBoard:
    """Overdue open items under a unit as of `as_of`: per child, per level, and the unit's own."""

    unit: Unit
    as_of: datetime
    total: int
    own: int
    children: list[UnitOverdue]
    levels: dict[int, int]


@dataclass(frozen=True)
class TrendBucket:
    """Items closed in [start, end): on time (on or before their due date) or late."""

    start: datetime
    end: datetime
    on_time: int
    late: int

    @property
    def rate(self) -> float | None:
        closed = self.on_time + self.late
        return round(self.on_time / closed, 4) if closed else None


@dataclass(frozen=True)
class ClosureTrend:
    unit: Unit
    period: Period
    buckets: list[TrendBucket]


@dataclass(frozen=True)
class ForecastEntry:
    """One escalation a sweep would make: the item, when, the ladder level and its action."""

    item_id: int
    title: str
    at: datetime
    level: int | None
    action: str | None


@dataclass(frozen=True)
class EscalationForecast:
    unit: Unit
    as_of: datetime
    until: datetime
    levels: dict[int, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    entries: list[ForecastEntry] = field(default_factory=list)


def reachable_unit(session: Session, scope: Scope, org_id: int) -> Unit:
    """The unit if the actor holds a role in or inspects its subtree; NotFound otherwise."""
    row = _RUN[UNIT].first(session.connection(), {"org_id": org_id})
    if row is None or not within(row.path, scope.org_paths()):
        raise NotFound(f"organisation {org_id} not found")
    return Unit(*row)


def home_unit(actor: Person | Scope) -> int | None:
    """The top unit of the actor's dashboard: the highest one they hold a role in or inspect."""
    paths = sorted(scope_of(actor).org_paths(), key=lambda p: (p.count("/"), p))
    return int(paths[0].strip("/").split("/")[-1]) if paths else None


def unit_trail(rt: Runtime, actor: Person | Scope, org_id: int) -> list[Unit]:
    """The unit and those above it that the actor can also reach, top first. Raises NotFound."""
    scope = scope_of(actor)
    with rt.read() as session:
        unit = reachable_unit(session, scope, org_id)
        above = [p for p in ancestors(unit.path)[:-1] if within(p, scope.org_paths())]
        query = select(_ORGS.c.id, _ORGS.c.name, _ORGS.c.path).where(_ORGS.c.path.in_(above))
        found = [Unit(*row) for row in session.execute(query)] if above else []
        trail = sorted(found, key=lambda u: len(u.path))
    return [*trail, unit]


def overdue_board(rt: Runtime, actor: Person | Scope, org_id: int) -> OverdueBoard:
    """Overdue open items under the unit, per child unit (rolled up) and per escalation level.

    Two statements: the unit and its children with their roll-up rows and the mark those stand
    for (one statement, so one snapshot); then the unit's own overdue items together with the
    items below it that fell due since the mark. Before the worker first sets the mark, a grouped
    count per (child, level) joining the children to a range of the covering index replaces the
    roll-up. Raises NotFound.
    """
    scope = scope_of(actor)
    now = rt.clock.now()
    # no statement needs another's snapshot: no transaction around them (snapshot=False)
    with rt.read(snapshot=False) as session:
        connection = session.connection()
        rows = _RUN[BOARD_UNITS].all(connection, {"org_id": org_id})
        unit, children, mark, rolled = _board_units(rows, scope, org_id)
        if mark is None:
            per_child = _child_counts(connection, unit, now)
            own = _own_counts(connection, unit, now)
        else:
            per_child, own = _rolled_counts(connection, unit, rolled, mark, now)
    rows = [UnitOverdue(child, sum(per_child.get(child.id, {}).values()),
                        dict(sorted(per_child.get(child.id, {}).items())))
            for child in children]
    levels: Counter[int] = Counter(own)
    for counts in per_child.values():
        levels.update(counts)
    total = sum(levels.values())
    return OverdueBoard(unit, now, total, sum(own.values()), rows, dict(sorted(levels.items())))


def _board_units(rows: list[Row[Any]], scope: Scope, org_id: int
                 ) -> tuple[Unit, list[Unit], datetime | None, dict[int, Counter[int]]]:
    """The unit (NotFound unless the actor reaches it), its open children, the overdue mark and
    the children's roll-up counts per level, from BOARD_UNITS's rows."""
    units: dict[int, Unit] = {}
    rolled: dict[int, Counter[int]] = {}
    mark = None
    for row in rows:
        units.setdefault(row.id, Unit(row.id, row.name, row.path))
        mark = row.at
        counts = rolled.setdefault(row.id, Counter())
        if row.n is not None:
            counts[row.escalation_level] += row.n
    unit = units.pop(org_id, None)
    if unit is None or not within(unit.path, scope.org_paths()):
        raise NotFound(f"organisation {org_id} not found")
    return unit, list(units.values()), mark, rolled


_ITEMS = Item.__table__
_ORGS = Organisation.__table__
_CHILD = _ORGS.alias("child")
_ROLLED = OverdueCount.__table__
#: open and past due: find_items' overdue filter, written as ix_items_open_level's WHERE
_OVERDUE = (_ITEMS.c.is_open == true(), _ITEMS.c.due_at <= bindparam("now"))

# The statements are built once (Core, bound parameters): building an ORM alias per call cost
# more than running the query.
UNIT = select(_ORGS.c.id, _ORGS.c.name, _ORGS.c.path).where(_ORGS.c.id == bindparam("org_id"))
#: (child id, level, count): each child's subtree is an index range joined to the child
CHILD_OVERDUE = (
    select(_CHILD.c.id, _ITEMS.c.escalation_level, func.count())
    .select_from(_CHILD.join(_ITEMS, and_(
        _ITEMS.c.org_path >= _CHILD.c.path,
        _ITEMS.c.org_path < func.substr(_CHILD.c.path, 1, func.length(_CHILD.c.path) - 1)
        .op("||")("0"))))
    .where(_CHILD.c.parent_id == bindparam("unit_id"), _CHILD.c.closed_at.is_(None), *_OVERDUE)
    .group_by(_CHILD.c.id, _ITEMS.c.escalation_level)
)
_MARKS = RollupMark.__table__
#: (unit id, name, path, mark, level, n): the unit and its open children, the overdue mark, and
#: the children's roll-up rows (their subtrees' open items due at or before the mark)
BOARD_UNITS = (
    select(_ORGS.c.id, _ORGS.c.name, _ORGS.c.path, _MARKS.c.at, _ROLLED.c.escalation_level,
           _ROLLED.c.n)
    .select_from(_ORGS.outerjoin(_MARKS, _MARKS.c.name == rollups.OVERDUE).outerjoin(
        _ROLLED, and_(_ROLLED.c.org_id == _ORGS.c.id, _ORGS.c.id != bindparam("org_id"))))
    .where(or_(_ORGS.c.id == bindparam("org_id"),
               and_(_ORGS.c.parent_id == bindparam("org_id"), _ORGS.c.closed_at.is_(None))))
    .order_by(_ORGS.c.id))
#: (path, level, count) of the subtree's open items due in (start, end], below the unit itself:
#: a range of ix_items_open_due, a minute's worth of items when the worker keeps the mark fresh
DUE_BETWEEN = (select(literal(0).label("own"), _ITEMS.c.org_path, _ITEMS.c.escalation_level,
                      func.count())
               .where(_ITEMS.c.is_open == true(), _ITEMS.c.due_at > bindparam("start"),
                      _ITEMS.c.due_at <= bindparam("end"),
                      # below the unit, as a test on the path (not a range): the due-date
                      # range is what narrows, and a path range would lure SQLite's planner
                      # into walking the whole subtree
                      func.substr(_ITEMS.c.org_path, 1, bindparam("length", type_=Integer))
                      == bindparam("path", type_=String),
                      _ITEMS.c.org_path != bindparam("path"))
               .group_by(_ITEMS.c.org_path, _ITEMS.c.escalation_level))
#: (level, count) of the overdue items assigned to the unit itself
OWN_OVERDUE = (select(_ITEMS.c.escalation_level, func.count())
               .where(_ITEMS.c.org_path == bindparam("path"), *_OVERDUE)
               .group_by(_ITEMS.c.escalation_level))
#: (own 1/0, path, level, count): the unit's own overdue items, then DUE_BETWEEN's, one statement
OWN_AND_DUE = union_all(
    select(literal(1).label("own"), _ITEMS.c.org_path, _ITEMS.c.escalation_level, func.count())
    .where(_ITEMS.c.org_path == bindparam("path"), *_OVERDUE)
    .group_by(_ITEMS.c.org_path, _ITEMS.c.escalation_level),
    DUE_BETWEEN)


def child_overdue_query(unit_id: int, now: datetime) -> Select[Any]:
    return CHILD_OVERDUE.params(unit_id=unit_id, now=now)


def own_overdue_query(path: str, now: datetime) -> Select[Any]:
    return OWN_OVERDUE.params(path=path, now=now)


def _child_counts(connection: Connection, unit: Unit, now: datetime
                  ) -> dict[int, dict[int, int]]:
    counts: dict[int, dict[int, int]] = {}
    for child_id, level, count in connection.execute(CHILD_OVERDUE,
                                                  {"unit_id": unit.id, "now": now}):
        counts.setdefault(child_id, {})[level] = count
    return counts


def _rolled_counts(connection: Connection, unit: Unit, rolled: dict[int, Counter[int]],
                   mark: datetime, now: datetime
                   ) -> tuple[dict[int, dict[int, int]], dict[int, int]]:
    """Per child and level: the roll-up as of the mark, corrected by the items that fell due
    between the mark and now (or, for a clock behind the mark, less those due after now); and
    the unit's own overdue items per level."""
    start, end, sign = (mark, now, 1) if now >= mark else (now, mark, -1)
    depth = len(rollups.ancestors(unit.path))
    own: dict[int, int] = {}
    for is_own, path, level, n in _RUN[OWN_AND_DUE].all(connection, {
            "now": now, "start": start, "end": end, "path": unit.path,
            "length": len(unit.path)}):
        below = rollups.ancestors(path)
        if is_own:
            own[level] = n
        elif len(below) > depth and below[depth] in rolled:
            rolled[below[depth]][level] += sign * n
    per_child = {child: {level: n for level, n in sorted(levels.items()) if n}
                 for child, levels in rolled.items() if any(levels.values())}
    return per_child, own


def _own_counts(connection: Connection, unit: Unit, now: datetime) -> dict[int, int]:
    rows = connection.execute(OWN_OVERDUE, {"path": unit.path, "now": now})
    return {level: count for level, count in rows}


def overdue_items(
    rt: Runtime, actor: Person | Scope, org_id: int, *, limit: int = 50,
    after: Position | None = None,
) -> list[Item]:
    """The items behind one bar: exactly the API's item list for the unit with `overdue=true`."""
    return find_items(rt, scope_of(actor), ItemFilter(unit_id=org_id, overdue=True),
                      limit=limit, after=after)


def closure_trend(
    rt: Runtime, actor: Person | Scope, org_id: int, *, period: Period = "week",
    periods: int = 12,
) -> ClosureTrend:
    """Items of the unit's subtree closed per week or month (in the configured time zone), the
    current period last, each split into closed on or before the due date and closed late.

    Items without a due date cannot be late and are left out. Raises NotFound, InvalidInput.
    """
    if period not in ("week", "month") or not 1 <= periods <= MAX_PERIODS:
        raise InvalidInput(f"period must be week or month and periods 1 to {MAX_PERIODS}",
                           fields={"period": [period], "periods": [str(periods)]})
    scope = scope_of(actor)
    edges = period_edges(rt.clock.now(), rt.settings.tz, period, periods)
    with rt.read(snapshot=False) as session:  # one statement (two for a zone off the hour)
        if all(_on_the_hour(edge) for edge in edges):  # local midnights in a whole-hour zone
            unit, counts = _rolled_closures(session.connection(), scope, org_id, edges)
        else:
            unit = reachable_unit(session, scope, org_id)
            rows = session.execute(closure_query(unit.path, edges))
            counts = {(n, bool(flag)): count for n, flag, count in rows}
    buckets = [TrendBucket(start, end, counts.get((n, True), 0), counts.get((n, False), 0))
               for n, (start, end) in enumerate(zip(edges, edges[1:], strict=False))]
    return ClosureTrend(unit, period, buckets)


def period_edges(now: datetime, tz: object, period: Period, periods: int) -> list[datetime]:
    """`periods + 1` UTC boundaries: local Monday 00:00 (or the 1st) back from the current one."""
    local = now.astimezone(tz)  # type: ignore[arg-type]
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        start -= timedelta(days=start.weekday())
        starts = [start - timedelta(weeks=n) for n in range(periods - 1, -1, -1)]
        starts.append(start + timedelta(weeks=1))
    else:
        first = start.replace(day=1)
        starts = [_add_months(first, -n) for n in range(periods - 1, -1, -1)]
        starts.append(_add_months(first, 1))
    # re-attach the zone after the arithmetic, so a daylight-saving change keeps local midnight
    return [as_utc(moment.replace(tzinfo=None).replace(tzinfo=local.tzinfo)) for moment in starts]


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1)


def closed_condition(path: str, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """Finished items of a subtree closed in [start, end): ix_items_closed_window's WHERE first."""
    return [Item.is_open == false(), Item.closed_at >= start, Item.closed_at < end,
            in_subtree(Item.org_path, path), Item.due_at.isnot(None)]


def closure_query(path: str, edges: list[datetime]) -> Select[Any]:
    """(bucket number, on time 1/0, count) of a subtree's items closed between the edges."""
    bucket = case(*((Item.closed_at < end, literal(n)) for n, end in enumerate(edges[1:])))
    on_time = case((Item.closed_at <= Item.due_at, literal(1)), else_=literal(0))
    return (select(bucket.label("bucket"), on_time.label("on_time"), func.count())
            .where(*closed_condition(path, edges[0], edges[-1]))
            .group_by(literal_column("bucket"), literal_column("on_time")))


def _rolled_closures(connection: Connection, scope: Scope, org_id: int, edges: list[datetime]
                     ) -> tuple[Unit, dict[tuple[int, bool], int]]:
    """The unit (NotFound unless the actor reaches it) and its closures per bucket."""
    hours = [rollups.hour_of(edge) for edge in edges]
    steps = {b - a for a, b in zip(hours, hours[1:], strict=False)}
    if len(steps) == 1:  # equal buckets (weeks without a clock change): arithmetic, no CASE
        rows = _RUN[EVEN_CLOSURES].all(connection, {"org_id": org_id, "first": hours[0],
                                                    "last": hours[-1], "step": steps.pop()})
    else:
        rows = connection.execute(rolled_closure_query(len(edges) - 1), {
            "org_id": org_id, **{f"h{n}": hour for n, hour in enumerate(hours)}}).all()
    if not rows or not within(rows[0].path, scope.org_paths()):
        raise NotFound(f"organisation {org_id} not found")
    unit = Unit(rows[0].id, rows[0].name, rows[0].path)
    return unit, {(r.bucket, bool(r.on_time)): r.n for r in rows if r.bucket is not None}


def _on_the_hour(moment: datetime) -> bool:
    return moment.minute == moment.second == moment.microsecond == 0


_CLOSURES = ClosureCount.__table__


def _with_unit(closures: Select[Any]) -> Select[Any]:
    """(unit id, name, path, bucket, on time, n): the unit's row beside its grouped closures (a
    row of NULLs beside it when it has none). Grouped first, then joined: grouping the joined
    rows by the unit's columns too took SQLite twice as long."""
    grouped = closures.subquery("closed")
    return (select(_ORGS.c.id, _ORGS.c.name, _ORGS.c.path, grouped.c.bucket, grouped.c.on_time,
                   grouped.c.n)
            .select_from(_ORGS.outerjoin(grouped, true()))
            .where(_ORGS.c.id == bindparam("org_id")))


def _closures_of_unit(bucket: ColumnElement[Any], first: str, last: str) -> Select[Any]:
    return (select(bucket.label("bucket"), _CLOSURES.c.on_time,
                   func.sum(_CLOSURES.c.n).label("n"))
            .where(_CLOSURES.c.org_id == bindparam("org_id"),
                   _CLOSURES.c.hour >= bindparam(first, type_=Integer),
                   _CLOSURES.c.hour < bindparam(last, type_=Integer))
            .group_by(literal_column("bucket"), _CLOSURES.c.on_time))


#: rolled_closure_query's answer for buckets of `step` hours from `first` to `last`
EVEN_CLOSURES = _with_unit(_closures_of_unit(
    (_CLOSURES.c.hour - bindparam("first", type_=Integer)) // bindparam("step", type_=Integer),
    "first", "last"))


#: the dashboards' fixed statements, compiled once and run on the driver's cursor: a dashboard is
#: a few small statements, and `Connection.execute`'s work per statement was most of its cost
_RUN = {statement: DriverStatement(statement)
        for statement in (UNIT, BOARD_UNITS, OWN_AND_DUE, EVEN_CLOSURES)}


@lru_cache(maxsize=MAX_PERIODS)
def rolled_closure_query(buckets: int) -> Select[Any]:
    """(unit id, name, path, bucket, on time, count): the unit with its hourly closure roll-up
    grouped into buckets, one primary-key range. The parameters are `org_id` and the edges'
    hours `h0` … `h{buckets}`. Built once per number of buckets: compiling a fresh CASE per call
    cost more than the query."""
    bucket = case(*((_CLOSURES.c.hour < bindparam(f"h{n + 1}", type_=Integer), literal(n))
                    for n in range(buckets)))
    return _with_unit(_closures_of_unit(bucket, "h0", f"h{buckets}"))


def escalation_forecast(
    rt: Runtime, actor: Person | Scope, org_id: int, *, days: int = FORECAST_DAYS,
    limit: int = 50,
) -> EscalationForecast:
    """What the sweep would escalate under the unit within `days`, from its own dry run.

    Counts per ladder level and action, and the first `limit` escalations, soonest first. As of
    the worker's last cycle when it stored a fresh forecast of this horizon (services/forecasts:
    the same dry run over the whole tree), otherwise computed now. Raises NotFound, InvalidInput.
    """
    if not 1 <= days <= MAX_FORECAST_DAYS:
        raise InvalidInput(f"days must be 1 to {MAX_FORECAST_DAYS}", fields={"days": [str(days)]})
    scope = scope_of(actor)
    now = rt.clock.now()
    with rt.read(snapshot=False) as session:
        unit = reachable_unit(session, scope, org_id)
        stored = stored_forecast(session.connection(), unit.id, unit.path, days=days, now=now,
                                 limit=limit, max_age=rt.settings.forecast_max_age)
    if stored is None:
        return live_forecast(rt, unit, now, days=days, limit=limit)
    entries = [ForecastEntry(*entry) for entry in stored.entries]
    return EscalationForecast(unit, stored.as_of, stored.until, stored.levels, stored.actions,
                              entries)


def live_forecast(rt: Runtime, unit: Unit, now: datetime, *, days: int, limit: int
                  ) -> EscalationForecast:
    """The forecast computed now: the sweep's dry run on the unit's subtree as of `now`."""
    until = now + timedelta(days=days)
    report = forecast(rt, until, within=unit.path, escalations_only=True)
    escalations = soonest_first(report.actions)
    levels = Counter(a.level for a in escalations if a.level is not None)
    actions = Counter(a.action for a in escalations if a.action is not None)
    entries = [ForecastEntry(a.item_id, a.title, a.at, a.level, a.action)
               for a in escalations[:limit]]
    return EscalationForecast(unit, now, until, dict(sorted(levels.items())), dict(actions),
                              entries)
