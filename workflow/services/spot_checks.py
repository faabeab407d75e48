"""Monthly spot checks (月抽查): draw a recorded random sample and hand out review tasks.

The draw is `random.Random(seed).sample(sorted(population), size)` (workflow/assessments/
sampling.py). The seed, the population's digest and the sample go into the ledger entry that
starts the check, so `redraw_spot_check` (or anyone with the ledger) can re-run the draw and
show it was not chosen by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from workflow.access import Scope, in_subtree
from workflow.assessments.periods import parse_period
from workflow.assessments.sampling import SEED_LIMIT, draw, new_seed, population_digest
from workflow.durations import Duration
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.models import Item, LedgerEntry, Organisation, Person, SpotCheck, SpotCheckReview
from workflow.runtime import Runtime
from workflow.services.supervision import assigned_inspectors, record, related_org, scope_of

TARGETS = ("units", "items")


@dataclass(frozen=True)
class StartedSpotCheck:
    spot_check_id: int
    seed: int
    population_count: int
    sample: tuple[int, ...]
    review_ids: tuple[int, ...]


@dataclass(frozen=True)
class Redraw:
    """A recorded draw re-run from its seed, compared with what the ledger says was drawn."""

    spot_check_id: int
    seed: int
    population_count: int
    recorded: tuple[int, ...]
    drawn: tuple[int, ...]
    population_intact: bool

    @property
    def reproduced(self) -> bool:
        return self.population_intact and self.recorded == self.drawn


def start_spot_check(
    rt: Runtime, actor: Person | Scope, *, org_id: int, period: str, size: int,
    target: str = "units", unit_ids: Sequence[int] | None = None,
    unit_kinds: Sequence[str] = ("branch",), seed: int | None = None,
    review_within: str = "P7D", note: str | None = None,
) -> StartedSpotCheck:
    """Draw `size` units (or items of those units) and give each to its inspector to review.

    The population is `unit_ids` (or every open unit of `unit_kinds` under the organisation);
    for items, their items due or closed in the period. Issuers of the organisation may start a
    check, and inspectors over units they inspect. Raises NotFound, NotAllowed or InvalidInput.
    """
    scope = scope_of(actor)
    when = parse_period(period)
    if target not in TARGETS:
        raise InvalidInput(f"target: '{target}' is not one of {', '.join(TARGETS)}")
    if seed is not None and not 0 <= seed < SEED_LIMIT:
        raise InvalidInput(f"seed: must be between 0 and {SEED_LIMIT - 1}")
    try:
        within = Duration.parse(review_within)
    except ValueError as exc:
        raise InvalidInput(f"review_within: {exc}") from None
    with rt.transaction() as session:
        org = related_org(session, scope, org_id)
        units = _units(session, org, unit_ids, unit_kinds)
        _require_starter(scope, org, units)
        start, end = when.bounds(rt.settings.tz)
        population = ([u.id for u in units] if target == "units"
                      else _items(session, units, start, end))
        if not 1 <= size <= len(population):
            raise InvalidInput(f"size: cannot draw {size} from {len(population)} {target}",
                               fields={"size": ["out of range"]})
        chosen_seed = new_seed() if seed is None else seed
        sample = draw(population, size, chosen_seed)
        now = rt.clock.now()
        check = SpotCheck(
            period=when.label, org_id=org.id, org_path=org.path, target=target, seed=chosen_seed,
            seed_source="drawn" if seed is None else "given", population=sorted(population),
            population_digest=population_digest(population), sample=sample,
            review_due_at=within.after(now, rt.calendar), started_by_id=scope.person_id,
            started_at=now, note=note)
        session.add(check)
        session.flush()
        reviews = _reviews(session, check, {u.id: u for u in units})
        record(session, scope, f"spotcheck:{check.id}", "spot_check.start", now, org_id=org.id,
               reason=note, inputs={
                   "period": when.label, "target": target, "units": [u.id for u in units],
                   "seed": chosen_seed, "seed_source": check.seed_source,
                   "population_count": len(population),
                   "population_digest": check.population_digest, "sample": sample,
                   "reviews": [r.id for r in reviews], "review_due": check.review_due_at})
        return StartedSpotCheck(check.id, chosen_seed, len(population), tuple(sample),
                                tuple(r.id for r in reviews))


def redraw_spot_check(rt: Runtime, actor: Person | Scope, spot_check_id: int) -> Redraw:
    """Re-run a recorded draw from the seed in its ledger entry; NotFound when out of scope."""
    scope = scope_of(actor)
    with rt.read() as session:
        check = _visible_check(session, scope, spot_check_id)
        entry = session.scalars(select(LedgerEntry).where(
            LedgerEntry.subject == f"spotcheck:{check.id}",
            LedgerEntry.action == "spot_check.start")).one()
        recorded = tuple(entry.inputs["sample"])
        seed = int(entry.inputs["seed"])
        intact = population_digest(check.population) == entry.inputs["population_digest"]
        drawn = tuple(draw(check.population, len(recorded), seed))
        return Redraw(check.id, seed, len(check.population), recorded, drawn, intact)


def _visible_check(session: Session, scope: Scope, spot_check_id: int) -> SpotCheck:
    check = session.get(SpotCheck, spot_check_id)
    if check is None or not scope.can_see(check.org_path, check.org_path):
        raise NotFound(f"spot check {spot_check_id} not found")
    return check


def _units(session: Session, org: Organisation, unit_ids: Sequence[int] | None,
           kinds: Sequence[str]) -> list[Organisation]:
    query = select(Organisation).where(in_subtree(Organisation.path, org.path),
                                       Organisation.closed_at.is_(None))
    if unit_ids is not None:
        found = list(session.scalars(query.where(Organisation.id.in_(list(unit_ids)))))
        missing = sorted(set(unit_ids) - {u.id for u in found})
        if missing:
            raise InvalidInput(f"units: {', '.join(map(str, missing))} are not open units under "
                               f"{org.name}", fields={"units": ["outside the organisation"]})
    else:
        found = list(session.scalars(query.where(Organisation.kind.in_(list(kinds)))))
    if not found:
        raise InvalidInput(f"there are no units to draw from under {org.name}")
    return sorted(found, key=lambda u: u.id)


def _require_starter(scope: Scope, org: Organisation, units: list[Organisation]) -> None:
    if scope.holds("issuer", org.path, org.path):
        return
    if all(scope.holds("inspector", u.path, org.path) for u in units):
        return
    raise NotAllowed("a spot check is started by an issuer of the organisation, or by an "
                     "inspector over units they inspect")


def _items(session: Session, units: list[Organisation], start: datetime,
           end: datetime) -> list[int]:
    due = (Item.due_at >= start) & (Item.due_at < end)
    closed = (Item.closed_at >= start) & (Item.closed_at < end)
    query = select(Item.id).where(or_(*(in_subtree(Item.org_path, u.path) for u in units)),
                                  due | closed)
    return sorted(session.scalars(query))


def _reviews(session: Session, check: SpotCheck,
             units: dict[int, Organisation]) -> list[SpotCheckReview]:
    objects: list[tuple[int, str, int | None]]
    if check.target == "units":
        objects = [(units[i].id, units[i].path, None) for i in check.sample]
    else:
        items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(check.sample)))}
        objects = [(items[i].assignee_org_id, items[i].org_path, i) for i in check.sample]
    inspectors = assigned_inspectors(session, {path for _, path, _ in objects})
    uncovered = sorted({path for _, path, _ in objects if path not in inspectors})
    if uncovered:
        names = session.scalars(select(Organisation.name).where(Organisation.path.in_(uncovered)))
        raise InvalidInput("no inspector is assigned to " + "、".join(names)
                           + "; assign one before drawing")
    reviews = [
        SpotCheckReview(spot_check_id=check.id, position=n, org_id=org_id, org_path=path,
                        item_id=item_id, inspector_id=inspectors[path], due_at=check.review_due_at,
                        state="open", not_done=False)
        for n, (org_id, path, item_id) in enumerate(objects, start=1)
    ]
    session.add_all(reviews)
    session.flush()
    return reviews
