"""People's notifications: the in-app inbox, their choices, and units' group robots."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update

from workflow import ledger
from workflow.access import Scope
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.models import (
    Notification,
    NotificationPreference,
    NotificationRobot,
    Organisation,
    Person,
)
from workflow.runtime import Runtime

EMAIL_MODES = ("immediate", "digest", "off")
ROBOT_KINDS = ("wecom", "dingtalk")


def inbox(rt: Runtime, actor: Person, *, unread_only: bool = False,
          limit: int = 50) -> list[Notification]:
    """The actor's in-app notifications, newest first."""
    with rt.read() as session:
        query = (select(Notification)
                 .where(Notification.person_id == actor.id, Notification.channel == "inbox")
                 .order_by(Notification.id.desc()).limit(limit))
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        return list(session.scalars(query))


def mark_read(rt: Runtime, actor: Person, ids: Sequence[int]) -> int:
    """Mark some of the actor's own inbox notifications read; how many changed."""
    with rt.transaction() as session:
        result = session.execute(
            update(Notification)
            .where(Notification.id.in_(list(ids)), Notification.person_id == actor.id,
                   Notification.channel == "inbox", Notification.read_at.is_(None))
            .values(read_at=rt.clock.now())
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def set_preferences(rt: Runtime, actor: Person, *, language: str | None = None,
                    email: str = "immediate", muted: Sequence[str] = ()) -> None:
    """The actor's own choices: language (zh/en), e-mail now / daily digest / off, kinds muted.

    Urgent messages (the ladder's `urgent` levels) reach the person whatever is muted.
    """
    from workflow.notify.templates import TEMPLATES

    if language not in (None, "zh", "en"):
        raise InvalidInput("language: zh or en", fields={"language": ["unknown"]})
    if email not in EMAIL_MODES:
        raise InvalidInput(f"email: one of {', '.join(EMAIL_MODES)}", fields={"email": ["unknown"]})
    unknown = sorted(set(muted) - set(TEMPLATES))
    if unknown:
        raise InvalidInput(f"muted: unknown kind(s) {', '.join(unknown)}",
                           fields={"muted": ["unknown"]})
    with rt.transaction() as session:
        choice = session.get(NotificationPreference, actor.id) or NotificationPreference(
            person_id=actor.id)
        choice.language, choice.email, choice.muted = language, email, sorted(set(muted))
        session.add(choice)
        ledger.append(session, subject=f"person:{actor.id}", at=rt.clock.now(),
                      action="notify.preferences", actor_id=actor.id,
                      inputs={"language": language, "email": email, "muted": sorted(set(muted))})


def add_robot(rt: Runtime, actor: Person | Scope, *, org_id: int, kind: str, token: str,
              secret: str | None = None) -> int:
    """Configure a WeCom or DingTalk group robot for a unit (administrators of the unit)."""
    scope = actor if isinstance(actor, Scope) else Scope.of(actor)
    if kind not in ROBOT_KINDS:
        raise InvalidInput(f"kind: one of {', '.join(ROBOT_KINDS)}", fields={"kind": ["unknown"]})
    if not token.strip():
        raise InvalidInput("token: the robot's key or access token is required")
    with rt.transaction() as session:
        org = session.get(Organisation, org_id)
        if org is None:
            raise NotFound(f"organisation {org_id} not found")
        if not any(org.path.startswith(p) for p in scope.paths("admin")):
            raise NotAllowed("only an administrator of the unit may configure its robots")
        now = rt.clock.now()
        robot = NotificationRobot(org_id=org.id, org_path=org.path, kind=kind,
                                  token=token.strip(), secret=secret or None, enabled=True,
                                  created_at=now)
        session.add(robot)
        session.flush()
        # the ledger records that a robot exists, never its token or secret
        ledger.append(session, subject=f"org:{org.id}", at=now, action="robot.add",
                      actor_id=scope.person_id, org_id=org.id,
                      inputs={"robot": robot.id, "kind": kind, "signed": bool(secret)})
        return robot.id
