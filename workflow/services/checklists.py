"""Which checklists exist, and the exact version an assessment was started with.

Checklists are read from `definitions/assessments/` when an assessment starts, and their text is
stored (table `checklist_versions`) the first time a version is used; from then on scores are
computed from the stored text, so editing a file never silently changes an assessment. A changed
text under the same version number is refused: it needs a new version.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.assessments.loader import checklist_directory, load_checklist_text, load_checklists
from workflow.assessments.model import Checklist
from workflow.errors import DefinitionError, NotFound
from workflow.models import Assessment, ChecklistVersion
from workflow.runtime import Runtime


def available_checklists(rt: Runtime) -> dict[str, Checklist]:
    """The checklists in the definitions directory by name (DefinitionError if any is bad)."""
    directory = checklist_directory(rt.settings.definitions_path)
    if not directory.is_dir():
        return {}
    return {c.name: c for c in load_checklists([directory])}


def current_checklist(rt: Runtime, session: Session, name: str) -> Checklist:
    """The file's version of checklist `name`, stored on first use; NotFound when unknown."""
    known = available_checklists(rt)
    checklist = known.get(name)
    if checklist is None:
        names = ", ".join(sorted(known)) or "none"
        raise NotFound(f"no assessment checklist '{name}' (known: {names})")
    row = session.get(ChecklistVersion, (checklist.name, checklist.version))
    if row is None:
        session.add(ChecklistVersion(
            name=checklist.name, version=checklist.version, source_hash=checklist.source_hash,
            source_name=checklist.source, source_text=Path(checklist.source).read_text("utf-8"),
            loaded_at=rt.clock.now()))
        session.flush()
    elif row.source_hash != checklist.source_hash:
        raise DefinitionError([
            f"{checklist.source}:1: version {checklist.version} of checklist '{checklist.name}' "
            "was changed after it was used; give the changed checklist a new version"])
    return checklist


def checklist_of(session: Session, assessment: Assessment) -> Checklist:
    """The stored checklist version an assessment was started with."""
    return stored_checklist(session, assessment.checklist, assessment.checklist_version)


def stored_checklist(session: Session, name: str, version: int | None = None) -> Checklist:
    """A stored checklist version (the newest stored when `version` is None)."""
    query = select(ChecklistVersion).where(ChecklistVersion.name == name)
    if version is not None:
        query = query.where(ChecklistVersion.version == version)
    row = session.scalars(query.order_by(ChecklistVersion.version.desc())).first()
    if row is None:
        raise NotFound(f"checklist '{name}' has not been used in any assessment yet")
    return load_checklist_text(row.source_text, row.source_name)
