"""Organisations (a materialised-path tree), people, their role grants and inspectors' units."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.db import Base, PathString, UTCDateTime


class Organisation(Base):
    """A unit: committee, working committee, enterprise, branch, group or inspection team.

    `path` is `/1/5/12/` (ids from the root down, each followed by a slash), so a subtree is the
    index range `path >= '/1/5/' AND path < '/1/50'` on every backend.
    """

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(PathString, unique=True)
    depth: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))

    parent: Mapped[Organisation | None] = relationship(
        remote_side="Organisation.id", foreign_keys=[parent_id]
    )

    def is_within(self, ancestor_path: str) -> bool:
        return self.path.startswith(ancestor_path)


class Person(Base):
    """Someone who signs in. Implements the four members flask-login asks of a user object."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    session_generation: Mapped[int] = mapped_column(Integer, default=1)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    post: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    mobile: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    org: Mapped[Organisation | None] = relationship()
    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="person", lazy="selectin", cascade="all, delete-orphan"
    )
    assignments: Mapped[list[InspectorAssignment]] = relationship(
        back_populates="person", lazy="selectin", cascade="all, delete-orphan"
    )

    # flask-login's user protocol, without importing flask-login into the engine
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """The session id changes with the generation, so old sessions stop working."""
        return f"{self.id}:{self.session_generation}"


class RoleGrant(Base):
    """`person` holds `role` at `org`, and with it over the org's whole subtree."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("person_id", "org_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship(back_populates="grants")
    org: Mapped[Organisation] = relationship(lazy="joined")


class InspectorAssignment(Base):
    """An inspector (督查组 member) is assigned a unit to inspect, with its subtree."""

    __tablename__ = "inspector_assignments"
    __table_args__ = (UniqueConstraint("person_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship(back_populates="assignments")
    org: Mapped[Organisation] = relationship(lazy="joined")
