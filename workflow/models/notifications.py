"""The notification outbox, people's notification choices, and units' group robots.

Rows are written in the same transaction as the change they report (the sweep's escalation, a
reminder), so a notification exists exactly when its cause was committed. The worker delivers
them: it leases a batch (SKIP LOCKED on PostgreSQL), sends, and marks each sent, or schedules a
retry with exponential backoff, or after too many failures leaves it `dead` for a person to see.
In-app inbox rows are delivered by being written; `read_at` makes them read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from workflow.db import Base, BigId, PathString, UTCDateTime

CHANNELS = ("inbox", "email", "wecom", "dingtalk")
STATUSES = ("pending", "sent", "dead")


class Notification(Base):
    """One message to one person on one channel, or to one unit's robot."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index("ix_notifications_inbox", "person_id", "channel", "id"),
        # the worker's queue: only pending rows, so the index stays as small as the backlog
        Index("ix_notifications_pending", "next_attempt_at",
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    robot_id: Mapped[int | None] = mapped_column(ForeignKey("notification_robots.id"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    template: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    leased_by: Mapped[str | None] = mapped_column(String(80))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationPreference(Base):
    """A person's choices: language, e-mail now / as a daily digest / never, kinds muted."""

    __tablename__ = "notification_preferences"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    language: Mapped[str | None] = mapped_column(String(5))
    email: Mapped[str] = mapped_column(String(10), default="immediate")
    #: templates (reminder, remind, urge, ...) the person does not want outside the inbox
    muted: Mapped[list[str]] = mapped_column(JSON, default=list)


class NotificationRobot(Base):
    """A unit's WeCom or DingTalk group robot; items of the unit's subtree post to the nearest."""

    __tablename__ = "notification_robots"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    org_path: Mapped[str] = mapped_column(PathString)
    kind: Mapped[str] = mapped_column(String(20))
    #: WeCom: the webhook `key`; DingTalk: the `access_token`
    token: Mapped[str] = mapped_column(String(200))
    #: DingTalk's signing secret (SEC…), None when the robot does not sign
    secret: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: rate limiting: the robot's next message may not leave before this moment
    next_send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
