"""Electronic signatures: decisions that carry accountability need the password re-entered.

The ledger entry of such a transition records the meaning of the signature (e.g. "approved");
who signed and when are the entry's actor and time.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.access import Scope
from workflow.definitions.model import TransitionDef
from workflow.errors import InvalidInput, NotAllowed
from workflow.models import Person
from workflow.passwords import verify_password


def check_signature(
    session: Session, actor: Person | Scope, step: TransitionDef, password: str | None
) -> None:
    """Refuse a signed transition unless the actor's password was given again and matches."""
    if step.signature is None:
        return
    check_password(session, actor, f"'{step.trigger}' is signed ({step.signature})", password)


def check_password(session: Session, actor: Person | Scope, what: str,
                   password: str | None) -> None:
    """Refuse a signed decision (`what` says which) unless the actor's password matches.

    The engine itself (a Scope, as in sweeps and the CLI) signs nothing and is not asked.
    """
    if isinstance(actor, Scope):
        return
    if not password:
        raise InvalidInput(f"{what}: enter your password to sign",
                           fields={"password": ["required to sign"]})
    stored = session.execute(
        select(Person.password_hash).where(Person.id == actor.id)
    ).scalar_one_or_none()
    if not verify_password(stored, password):
        raise NotAllowed("the signature password is wrong; nothing was signed")
