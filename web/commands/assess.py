"""`sandan assess ...`: spot checks, scores, corrections, rankings and proposals from a shell.

Every command acts as a named person (`--as USERNAME`), so the same access rules apply as on the
web and in the API; each parses its options, calls one engine function and prints the result.
"""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from web.commands.common import runtime
from workflow.errors import NotFound
from workflow.models import Organisation, Person
from workflow.runtime import Runtime
from workflow.services import assessments, proposals, rankings, scores, spot_checks, spot_reviews
from workflow.services.orgs import find_person
from workflow.services.score_reads import score_detail

AS = click.option("--as", "username", required=True, help="Act as this user.")


@click.group()
def assess() -> None:
    """Supervision cycles: spot checks, assessments, corrections, rankings, proposals."""


def _actor(rt: Runtime, username: str) -> Person:
    person = find_person(rt, username)
    if person is None or not person.active:
        raise click.ClickException(f"no active user '{username}'")
    return person


def _org(rt: Runtime, ref: str) -> int:
    """A unit by id or by code."""
    if ref.isdigit():
        return int(ref)
    with rt.read() as session:
        found = session.scalar(select(Organisation.id).where(Organisation.code == ref))
    if found is None:
        raise NotFound(f"no unit with code '{ref}'")
    return found


@assess.command("spot-check")
@AS
@click.option("--org", "org_ref", required=True, help="Unit (id or code) the check runs under.")
@click.option("--period", required=True, help="2026-03, 2026Q1 or 2026.")
@click.option("--size", type=int, required=True, help="How many to draw.")
@click.option("--items", "target", flag_value="items", help="Draw items of the units.")
@click.option("--units", "target", flag_value="units", default=True, help="Draw units (default).")
@click.option("--unit", "unit_refs", multiple=True, help="Limit the population (repeatable).")
@click.option("--seed", type=int, help="Use this seed (default: an unpredictable one).")
@click.option("--within", "review_within", default="P7D", show_default=True,
              help="Review deadline (ISO 8601, or working days like P5WD).")
def spot_check(username: str, org_ref: str, period: str, size: int, target: str,
               unit_refs: tuple[str, ...], seed: int | None, review_within: str) -> None:
    """Start a spot check: draw a sample and give each object to its inspector."""
    rt = runtime()
    units = [_org(rt, ref) for ref in unit_refs] or None
    started = spot_checks.start_spot_check(
        rt, _actor(rt, username), org_id=_org(rt, org_ref), period=period, size=size,
        target=target, unit_ids=units, seed=seed, review_within=review_within)
    click.echo(f"spot check {started.spot_check_id}: drew {list(started.sample)} from "
               f"{started.population_count} {target} with seed {started.seed}")
    click.echo(f"review tasks: {', '.join(map(str, started.review_ids))}")


@assess.command("redraw")
@AS
@click.argument("spot_check_id", type=int)
def redraw(username: str, spot_check_id: int) -> None:
    """Re-run a recorded draw from its seed; exit 1 if it does not reproduce the sample."""
    rt = runtime()
    result = spot_checks.redraw_spot_check(rt, _actor(rt, username), spot_check_id)
    click.echo(f"seed {result.seed}, {result.population_count} in the population")
    click.echo(f"recorded: {list(result.recorded)}")
    click.echo(f"redrawn:  {list(result.drawn)}")
    if not result.reproduced:
        click.echo("the draw does NOT reproduce the recorded sample", err=True)
        raise SystemExit(1)
    click.echo("reproduced: the same sample")


@assess.command("verdict")
@AS
@click.argument("review_id", type=int)
@click.option("--verdict", required=True,
              type=click.Choice(["compliant", "partly_compliant", "non_compliant"]))
@click.option("--note", help="What was found (required for a finding).")
def verdict_command(username: str, review_id: int, verdict: str, note: str | None) -> None:
    """Record the verdict of a spot-check review task; a finding opens a rectification item."""
    rt = runtime()
    outcome = spot_reviews.record_review(rt, _actor(rt, username), review_id, verdict=verdict,
                                         note=note)
    text = f"review {outcome.review_id}: {outcome.verdict}"
    if outcome.not_done:
        text += " (a closed item that was not really done)"
    if outcome.finding_item_id:
        text += f"; rectification item {outcome.finding_item_id} opened"
    click.echo(text)


@assess.command("start")
@AS
@click.option("--checklist", required=True)
@click.option("--period", required=True)
@click.option("--org", "org_ref", required=True)
@click.option("--unit", "unit_refs", multiple=True, help="Only these units (repeatable).")
def start(username: str, checklist: str, period: str, org_ref: str,
          unit_refs: tuple[str, ...]) -> None:
    """Start an assessment: one draft score per unit (or member)."""
    rt = runtime()
    units = [_org(rt, ref) for ref in unit_refs] or None
    started = assessments.start_assessment(rt, _actor(rt, username), checklist=checklist,
                                           period=period, org_id=_org(rt, org_ref),
                                           unit_ids=units)
    click.echo(f"assessment {started.assessment_id}: scores "
               + ", ".join(map(str, started.score_ids)))


@assess.command("score")
@AS
@click.argument("score_id", type=int)
@click.option("--criterion", required=True)
@click.option("--points")
@click.option("--note")
@click.option("--veto-failed", is_flag=True, help="The veto criterion failed (一票否决).")
@click.option("--evidence", "hashes", multiple=True, help="SHA-256 of a stored file.")
@click.option("--file", "files", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Upload a file as evidence for this criterion.")
def score(username: str, score_id: int, criterion: str, points: str | None, note: str | None,
          veto_failed: bool, hashes: tuple[str, ...], files: tuple[Path, ...]) -> None:
    """Score one criterion of a draft score (a locked score is refused)."""
    rt = runtime()
    actor = _actor(rt, username)
    for path in files:
        with path.open("rb") as stream:
            sha = assessments.attach_score_evidence(rt, actor, score_id, criterion, path.name,
                                                    stream)
        click.echo(f"evidence {path.name}: {sha}")
    recorded = assessments.record_score(rt, actor, score_id, criterion=criterion, points=points,
                                        note=note, veto_failed=veto_failed, evidence=hashes)
    veto = " (veto failed)" if recorded.veto_failed else ""
    click.echo(f"score {score_id}: {criterion} = {recorded.points}{veto}")


def _score_step(name: str, trigger: str, summary: str) -> None:
    @assess.command(name, help=summary)
    @AS
    @click.argument("score_id", type=int)
    @click.option("--reason", help="Why (required to send back).")
    def command(username: str, score_id: int, reason: str | None) -> None:
        rt = runtime()
        actor = _actor(rt, username)
        password = None
        if trigger == "lock":  # an electronic signature: the person re-enters the password
            password = click.prompt(f"Password of {username} (signs the lock)", hide_input=True)
        done = scores.fire_score(rt, actor, score_id, trigger, reason=reason, password=password)
        total = f", total {done.result['total']}" if done.result else ""
        click.echo(f"score {score_id}: {done.from_state} → {done.state}{total}")


for _name, _trigger, _summary in (
    ("submit", "submit", "Submit a fully scored draft for review."),
    ("review", "review", "Review a submitted score (not by whoever submitted it)."),
    ("lock", "lock", "Lock a reviewed score: from then on only corrections change it."),
    ("send-back", "send_back", "Send a submitted or reviewed score back to draft."),
):
    _score_step(_name, _trigger, _summary)


@assess.command("correct")
@AS
@click.argument("score_id", type=int)
@click.option("--criterion", required=True)
@click.option("--points")
@click.option("--veto-failed/--veto-passed", default=None)
@click.option("--reason", required=True)
def correct(username: str, score_id: int, criterion: str, points: str | None,
            veto_failed: bool | None, reason: str) -> None:
    """Correct a locked score (a new ledger-recorded correction, never an overwrite)."""
    rt = runtime()
    done = scores.correct_score(rt, _actor(rt, username), score_id, criterion=criterion,
                                points=points, veto_failed=veto_failed, reason=reason)
    click.echo(f"score {score_id}: correction {done.seq}, total {done.before_total} → "
               f"{done.after_total}" + (" (vetoed)" if done.vetoed else ""))


@assess.command("show")
@AS
@click.argument("score_id", type=int)
def show(username: str, score_id: int) -> None:
    """A score's breakdown: criteria, deductions, veto, corrections."""
    rt = runtime()
    detail = score_detail(rt, _actor(rt, username), score_id)
    result = detail.result
    who = f"{detail.unit} {detail.member}" if detail.member else detail.unit
    click.echo(f"{who} — {detail.assessment.checklist} {detail.assessment.period}: "
               f"{detail.score.state}, total {result.get('total')}, grade {result.get('grade')}"
               + (" — VETOED" if result.get("vetoed") else ""))
    for row in result.get("criteria", []):
        click.echo(f"  {row['name']:<24} {row['points'] or '-':>6} / {row['max']}"
                   + (" veto failed" if row["veto_failed"] else ""))
    for row in result.get("deductions", []):
        click.echo(f"  − {row['name']:<22} {row['count']} × → {row['points']}")
    for fix in detail.corrections:
        click.echo(f"  correction {fix.seq}: {fix.criterion} {fix.before} → {fix.after} "
                   f"({fix.reason})")


@assess.command("rank")
@AS
@click.option("--checklist", required=True)
@click.option("--period", required=True)
@click.option("--org", "org_ref", required=True)
@click.option("--level", help="member, group, branch, enterprise … (default: as scored)")
def rank(username: str, checklist: str, period: str, org_ref: str, level: str | None) -> None:
    """The ranking (public board): rank, unit, points, stars, status."""
    rt = runtime()
    ranking = rankings.rank_units(rt, _actor(rt, username), checklist=checklist, period=period,
                                  org_id=_org(rt, org_ref), level=level)
    click.echo(f"{ranking.checklist} {ranking.period} — {ranking.org_name}, level {ranking.level}")
    for s in ranking.standings:
        place = str(s.rank) + ("=" if s.tied else "") if s.rank else "-"
        stars = "★" * s.stars
        click.echo(f"{place:>4}  {s.subject.name:<24} {s.total:>7}  {stars:<5} {s.status}")
    click.echo(f"rule: {ranking.rule}")


@assess.command("propose")
@AS
@click.option("--checklist", required=True)
@click.option("--period", required=True)
@click.option("--org", "org_ref", required=True)
@click.option("--level")
def propose(username: str, checklist: str, period: str, org_ref: str, level: str | None) -> None:
    """Draw commendation and accountability proposals from the ranking."""
    rt = runtime()
    made = proposals.propose_outcomes(rt, _actor(rt, username), checklist=checklist,
                                      period=period, org_id=_org(rt, org_ref), level=level)
    for p in made:
        click.echo(f"proposal {p.id}: {p.kind} ({p.action}) — {p.org_name}: {p.reason}")
    if not made:
        click.echo("no new proposals")


@assess.command("decide")
@AS
@click.argument("proposal_id", type=int)
@click.option("--confirm", "decision", flag_value="confirm")
@click.option("--waive", "decision", flag_value="waive")
@click.option("--reason")
def decide(username: str, proposal_id: int, decision: str | None, reason: str | None) -> None:
    """Confirm or waive a proposal (waiving needs a reason)."""
    if decision is None:
        raise click.UsageError("say --confirm or --waive")
    rt = runtime()
    actor = _actor(rt, username)
    password = click.prompt(f"Password of {username} (signs the decision)", hide_input=True)
    done = proposals.decide_proposal(rt, actor, proposal_id, decision=decision, reason=reason,
                                     password=password)
    click.echo(f"proposal {done.id}: {done.state} — {done.org_name}")
