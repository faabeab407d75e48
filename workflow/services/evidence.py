"""Evidence (佐证材料): files stored once under their SHA-256, outside the web root.

Uploading attaches a file to an item and records its hash in the item's ledger chain; the
transition that submits evidence then names those hashes. The same file attached to items of
different units is flagged as recycled evidence.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow import ledger
from workflow.access import Scope
from workflow.errors import InvalidInput, NotAllowed, NotFound, TooLarge
from workflow.models import EvidenceFile, Item, ItemEvidence, Person
from workflow.runtime import Runtime

MAX_BYTES = 20 * 1024 * 1024
ALLOWED_SUFFIXES = {
    ".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".txt": "text/plain", ".doc": "application/msword", ".xls": "application/vnd.ms-excel",
}


@dataclass(frozen=True)
class Attached:
    sha256: str
    size: int
    filename: str
    content_type: str
    #: False when the file was already attached (a retry, or the same bytes sent again)
    created: bool = True


def attach_evidence(
    rt: Runtime, actor: Person | Scope, item_id: int, filename: str, stream: BinaryIO,
    *, idempotency_key: str | None = None,
) -> Attached:
    """Store `stream` and attach it to an open item the actor handles.

    Raises NotFound, NotAllowed (not a handler, or the item is closed), TooLarge or InvalidInput
    (name, type, emptiness, or an `idempotency_key` this person already used for another
    upload); a refused upload leaves no file and no row behind. The same file attached twice to
    one item, or a retry with the same `idempotency_key`, answers the first attachment.
    """
    scope = actor if isinstance(actor, Scope) else Scope.of(actor)
    name, content_type = _check_name(filename)
    staged = _stage(rt.evidence_path, stream)
    try:
        try:
            return _attach_staged(rt, scope, item_id, staged, name, content_type, idempotency_key)
        except IntegrityError:
            # a concurrent retry with the same Idempotency-Key committed first: answer it
            return _attach_staged(rt, scope, item_id, staged, name, content_type, idempotency_key)
    finally:
        staged.path.unlink(missing_ok=True)


def _attach_staged(
    rt: Runtime, scope: Scope, item_id: int, staged: _Staged, name: str, content_type: str,
    idempotency_key: str | None,
) -> Attached:
    with rt.transaction() as session:
        locking = session.get_bind().dialect.name == "postgresql"
        item = session.get(Item, item_id, with_for_update=locking)
        if item is None or not scope.can_see(item.org_path, item.issuer_path):
            raise NotFound(f"item {item_id} not found")
        earlier = _earlier_upload(session, scope, idempotency_key, item_id, staged)
        if earlier is not None:
            return Attached(earlier.sha256, staged.size, earlier.filename, content_type,
                            created=False)
        if not scope.holds("handler", item.org_path, item.issuer_path):
            raise NotAllowed("only a handler of the item's unit may attach evidence")
        if not item.is_open:
            raise NotAllowed(f"item {item_id} is closed; evidence can no longer be added")
        _store(session, rt, staged, content_type)
        created = _link(session, scope, item, staged, name, rt.clock.now(), idempotency_key)
    return Attached(staged.sha256, staged.size, name, content_type, created=created)


def _earlier_upload(
    session: Session, scope: Scope, key: str | None, item_id: int, staged: _Staged
) -> ItemEvidence | None:
    """The attachment this person made with `key` before; refused when it was another upload."""
    if not key or scope.person_id is None:
        return None
    earlier = session.scalars(select(ItemEvidence).where(
        ItemEvidence.uploaded_by_id == scope.person_id, ItemEvidence.idempotency_key == key
    )).first()
    if earlier is not None and (earlier.item_id, earlier.sha256) != (item_id, staged.sha256):
        raise InvalidInput(
            "this Idempotency-Key was already used for a different upload; use a new key",
            fields={"idempotency_key": ["already used for another upload"]},
        )
    return earlier


def evidence_file(rt: Runtime, sha256: str) -> Path:
    return rt.evidence_path / sha256[:2] / sha256[2:4] / sha256


@dataclass(frozen=True)
class _Staged:
    path: Path
    sha256: str
    size: int


def _check_name(filename: str) -> tuple[str, str]:
    name = Path((filename or "").replace("\\", "/")).name.strip()
    if any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in name):
        raise InvalidInput("the file name contains control characters",
                           fields={"file": ["bad file name"]})
    if not name:
        raise InvalidInput("the file needs a name", fields={"file": ["no file name"]})
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        allowed = ", ".join(sorted(ALLOWED_SUFFIXES))
        raise InvalidInput(f"'{name}': files of type '{suffix or 'none'}' are not accepted "
                           f"(allowed: {allowed})", fields={"file": ["type not allowed"]})
    return name[:255], ALLOWED_SUFFIXES[suffix]


def _stage(root: Path, stream: BinaryIO) -> _Staged:
    """Copy the upload to a temporary file, hashing and counting as it goes."""
    root.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".upload-")
    with os.fdopen(fd, "wb") as out:
        while chunk := stream.read(1 << 16):
            size += len(chunk)
            if size > MAX_BYTES:
                out.close()
                Path(tmp).unlink(missing_ok=True)
                raise TooLarge(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB",
                               fields={"file": ["too large"]}, limit=MAX_BYTES)
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        Path(tmp).unlink(missing_ok=True)
        raise InvalidInput("the file is empty", fields={"file": ["empty"]})
    return _Staged(Path(tmp), digest.hexdigest(), size)


def _store(session: Session, rt: Runtime, staged: _Staged, content_type: str) -> None:
    target = evidence_file(rt, staged.sha256)
    if session.get(EvidenceFile, staged.sha256) is None:
        session.add(EvidenceFile(sha256=staged.sha256, size=staged.size,
                                 content_type=content_type, stored_at=rt.clock.now()))
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.path, target)


def _link(
    session: Session, scope: Scope, item: Item, staged: _Staged, name: str, now: datetime,
    key: str | None = None,
) -> bool:
    exists = session.scalar(select(ItemEvidence.id).where(
        ItemEvidence.item_id == item.id, ItemEvidence.sha256 == staged.sha256))
    if exists:
        return False
    session.add(ItemEvidence(item_id=item.id, sha256=staged.sha256, filename=name,
                             uploaded_by_id=scope.person_id, uploaded_at=now,
                             item_version=item.version, idempotency_key=key or None))
    subject = f"item:{item.id}"
    head = ledger.Head(item.ledger_seq, item.ledger_head or ledger.genesis_hash(subject))
    tip = ledger.append(session, subject=subject, head=head, at=now, action="evidence",
                        actor_id=scope.person_id, item_id=item.id, org_id=item.assignee_org_id,
                        inputs={"filename": name, "size": staged.size}, evidence=[staged.sha256])
    item.ledger_seq, item.ledger_head = tip.seq, tip.hash
    session.flush()
    return True
