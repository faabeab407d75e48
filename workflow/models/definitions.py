"""Every definition version ever loaded, so running items keep the version they started with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workflow.db import Base, UTCDateTime


class DefinitionVersion(Base):
    """The YAML text of one (kind, version), as loaded; a changed text needs a new version."""

    __tablename__ = "definition_versions"

    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(300))
    source_text: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
