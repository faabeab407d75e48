"""The accountability register (追责问责) and escalation waivers: the committee's decisions.

The sweep opens a register entry when an item climbs to a ladder level marked `register`; the
entry is held against the item's unit and its primary and direct responsible people. A committee
(the `issuer` role over the item) records its outcome — the talk held, the notice published, or
the matter waived with a reason — and can waive one item's escalation until a moment. Each of
these is a ledger entry: the register's on the subject `register:ID`, waivers on the item's chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from workflow import ledger
from workflow.access import Scope
from workflow.clock import as_utc
from workflow.definitions.model import EscalationStep
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.models import AccountabilityEntry, EscalationWaiver, Item, Person
from workflow.models.accountability import OUTCOMES
from workflow.runtime import Runtime
from workflow.services.signatures import check_password

#: the meaning of the signature on a recorded outcome
SIGNATURE = "confirmed"
_REGISTER = AccountabilityEntry.__table__
_ITEMS = Item.__table__


def open_entry(session: Session, row: Row[Any], step: EscalationStep, at: datetime,
               reason: str) -> int:
    """Enter an escalation in the register (inside the sweep's transaction); the entry's id."""
    values = {
        "item_id": row.id, "org_id": row.assignee_org_id, "org_path": row.org_path,
        "issuer_path": row.issuer_path, "primary_person_id": row.primary_person_id,
        "direct_person_id": row.direct_person_id, "level": step.level, "action": step.action,
        "reason": reason, "created_at": at,
    }
    connection = session.connection()
    entry_id = connection.execute(insert(_REGISTER).values(**values).returning(_REGISTER.c.id))
    entry_id = entry_id.scalar_one()
    ledger.append(
        connection, subject=f"register:{entry_id}", at=at, action="register.open", actor_id=None,
        item_id=row.id, org_id=row.assignee_org_id, reason=reason,
        inputs={"level": step.level, "escalation": step.action,
                "primary_responsible": row.primary_person_id,
                "direct_responsible": row.direct_person_id},
    )
    return int(entry_id)


@dataclass(frozen=True)
class Outcome:
    entry_id: int
    outcome: str
    ledger_hash: str


def record_outcome(rt: Runtime, actor: Person | Scope, entry_id: int, outcome: str,
                   note: str | None = None, *, password: str | None = None) -> Outcome:
    """Record what came of a register entry: talk_held, notice_published or waived (with a note).

    The outcome is a decision that carries accountability, so a person signs it by re-entering
    their password (the ledger entry records the signature's meaning, "confirmed").
    Raises NotFound (unknown or out of scope), NotAllowed (not an issuer over the item, or a
    wrong signature password) or InvalidInput (unknown outcome, a waiver without a reason, an
    outcome already recorded, no signature password).
    """
    scope = _scope(actor)
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome: '{outcome}' is not one of {', '.join(OUTCOMES)}",
                           fields={"outcome": ["unknown"]})
    if outcome == "waived" and not (note or "").strip():
        raise InvalidInput("a waiver needs a reason", fields={"note": ["required"]})
    with rt.transaction() as session:
        query = select(AccountabilityEntry).where(AccountabilityEntry.id == entry_id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        entry = session.scalars(query).first()
        if entry is None or not scope.can_see(entry.org_path, entry.issuer_path):
            raise NotFound(f"register entry {entry_id} not found")
        if not scope.holds("issuer", entry.org_path, entry.issuer_path):
            raise NotAllowed("only the issuing committee can record the outcome")
        if entry.outcome is not None:
            raise InvalidInput(
                f"register entry {entry_id} already has an outcome ({entry.outcome})"
            )
        check_password(session, actor, "an accountability outcome is signed", password)
        now = rt.clock.now()
        entry.outcome, entry.outcome_note = outcome, (note or "").strip() or None
        entry.outcome_by_id, entry.outcome_at = scope.person_id, now
        tip = ledger.append(
            session, subject=f"register:{entry.id}", at=now, action=f"register.{outcome}",
            actor_id=scope.person_id, item_id=entry.item_id, org_id=entry.org_id,
            reason=entry.outcome_note, inputs={"outcome": outcome}, signature=SIGNATURE,
        )
        return Outcome(entry.id, outcome, tip.hash)


def waive_escalation(rt: Runtime, actor: Person | Scope, item_id: int, *, reason: str,
                     until: datetime) -> int:
    """Suspend one open item's escalation until `until`, for `reason`; the waiver's id.

    Reminders and overdue marking go on; ladder levels that fall due meanwhile wait for the
    expiry. Raises NotFound, NotAllowed (not an issuer over the item) or InvalidInput.
    """
    scope = _scope(actor)
    until = as_utc(until)
    if not (reason or "").strip():
        raise InvalidInput("a waiver needs a reason", fields={"reason": ["required"]})
    with rt.transaction() as session:
        connection = session.connection()
        query = select(_ITEMS).where(_ITEMS.c.id == item_id)
        if connection.dialect.name == "postgresql":
            query = query.with_for_update()
        row = connection.execute(query).first()
        if row is None or not scope.can_see(row.org_path, row.issuer_path):
            raise NotFound(f"item {item_id} not found")
        if not scope.holds("issuer", row.org_path, row.issuer_path):
            raise NotAllowed("only the issuing committee can waive an item's escalation")
        now = rt.clock.now()
        if not row.is_open or until <= now:
            raise InvalidInput("the item must be open and the waiver must expire in the future")
        waiver = EscalationWaiver(item_id=row.id, reason=reason.strip(), expires_at=until,
                                  created_by_id=scope.person_id, created_at=now)
        session.add(waiver)
        session.flush()
        head = ledger.Head(row.ledger_seq, row.ledger_head or ledger.genesis_hash(f"item:{row.id}"))
        tip = ledger.append(
            connection, subject=f"item:{row.id}", head=head, at=now, action="waive",
            actor_id=scope.person_id, item_id=row.id, org_id=row.assignee_org_id,
            reason=waiver.reason, inputs={"until": until, "waiver": waiver.id},
        )
        connection.execute(update(_ITEMS).where(_ITEMS.c.id == row.id).values(
            waived_until=until, ledger_seq=tip.seq, ledger_head=tip.hash))
        return waiver.id


def register_entries(rt: Runtime, actor: Person | Scope, *, open_only: bool = False,
                     limit: int = 100) -> list[AccountabilityEntry]:
    """Register entries in the actor's scope, newest first."""
    scope = _scope(actor)
    with rt.read() as session:
        query = (select(AccountabilityEntry)
                 .where(scope.item_filter(AccountabilityEntry.org_path,
                                          AccountabilityEntry.issuer_path))
                 .order_by(AccountabilityEntry.id.desc()).limit(limit))
        if open_only:
            query = query.where(AccountabilityEntry.outcome.is_(None))
        return list(session.scalars(query))


def _scope(actor: Person | Scope) -> Scope:
    return actor if isinstance(actor, Scope) else Scope.of(actor)
