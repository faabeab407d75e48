"""Appending to the ledger (台账) and the hash rules every backend must reproduce exactly.

Each entry's hash is SHA-256 over a canonical JSON encoding of its content (sorted keys, no
spaces, UTF-8, times as `YYYY-MM-DDTHH:MM:SS.ffffffZ`), including the previous hash of its chain.

Why one chain per subject rather than one global chain: a global chain makes every writer read
and extend the same tip, which serialises all transitions on PostgreSQL behind several web nodes.
An item's own row lock already orders its writers, so chaining per subject ("item:42") costs no
extra lock; the global order is sealed afterwards by signed checkpoints (workflow/checkpoints.py).
A fork is impossible: `prev_hash` is unique, so two entries can never extend the same tip.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from workflow.db import DriverStatement
from workflow.models import LedgerEntry

#: the columns an entry's hash covers, in the order they are documented
HASHED_FIELDS = (
    "subject",
    "subject_seq",
    "prev_hash",
    "at",
    "actor_id",
    "item_id",
    "org_id",
    "action",
    "trigger",
    "from_state",
    "to_state",
    "reason",
    "inputs",
    "evidence",
    "signature",
)

_TABLE = LedgerEntry.__table__
#: built once and given its values at execution (a fresh `.values(...)` per entry costs more
#: Python than the INSERT itself)
_INSERT = insert(_TABLE)
#: the hot path's copy (on a Connection); `inline` leaves out PostgreSQL's RETURNING of the new
#: id, which nobody reads
_DRIVER_INSERT = DriverStatement(insert(_TABLE).inline())


def genesis_hash(subject: str) -> str:
    """The `prev_hash` of a subject's first entry: distinct per subject, so still unique."""
    return hashlib.sha256(f"sandan-ledger-genesis:{subject}".encode()).hexdigest()


def format_time(at: datetime) -> str:
    """The one time format hashes use (UTC, microseconds, `Z`).

    A naive time is refused: `astimezone` would read it in the host's zone, so the same content
    would encode (and hash) differently on machines configured differently.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()} given to the ledger; use an aware one")
    utc = at.astimezone(UTC)
    if utc.year < 1000:  # strftime's %Y does not pad these; isoformat would
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # the same text as that strftime, at a third of its cost (every entry hashes one or more)
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical(value: Any) -> Any:
    """Reduce `value` to JSON types that every database returns unchanged."""
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        # floats are not stable across JSON round trips of every driver; keep their text
        return repr(value)
    return value


#: one encoder for every entry (json.dumps with options builds a new one per call)
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def encode(body: dict[str, Any]) -> bytes:
    """Canonical JSON bytes of an entry body."""
    return _ENCODER.encode(body).encode("utf-8")


def entry_hash(body: dict[str, Any]) -> str:
    """SHA-256 of the canonical encoding of the hashed fields of `body`."""
    hashed = {name: body.get(name) for name in HASHED_FIELDS}
    hashed["at"] = format_time(hashed["at"]) if isinstance(hashed["at"], datetime) else hashed["at"]
    return hashlib.sha256(encode(hashed)).hexdigest()


def row_hash(entry: Any) -> str:
    """Recompute the hash of a stored entry (an ORM object or a row with the same names)."""
    return entry_hash({name: getattr(entry, name) for name in HASHED_FIELDS})


@dataclass(frozen=True)
class Head:
    """The tip of one subject's chain: the next entry gets `seq + 1` and `prev_hash = hash`."""

    seq: int
    hash: str

    @classmethod
    def empty(cls, subject: str) -> Head:
        return cls(0, genesis_hash(subject))


def current_head(session: Session | Connection, subject: str) -> Head:
    """Read the tip of `subject`'s chain (for subjects that do not cache it themselves)."""
    row = session.execute(
        select(_TABLE.c.subject_seq, _TABLE.c.hash)
        .where(_TABLE.c.subject == subject)
        .order_by(_TABLE.c.subject_seq.desc())
        .limit(1)
    ).first()
    return Head(row.subject_seq, row.hash) if row else Head.empty(subject)


def append(
    session: Session | Connection,
    *,
    subject: str,
    at: datetime,
    action: str,
    head: Head | None = None,
    actor_id: int | None = None,
    item_id: int | None = None,
    org_id: int | None = None,
    trigger: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    inputs: dict[str, Any] | None = None,
    evidence: list[str] | None = None,
    signature: str | None = None,
) -> Head:
    """Append one entry to `subject`'s chain inside the caller's transaction; return the new tip.

    Pass `head` when the caller already holds it (items cache theirs on the locked row);
    otherwise it is read. A stale head fails on the unique `prev_hash`, never forks the chain.
    `session` may also be the transaction's Connection (the transition hot path passes that).
    """
    tip = head or current_head(session, subject)
    body: dict[str, Any] = {
        "subject": subject,
        "subject_seq": tip.seq + 1,
        "prev_hash": tip.hash,
        "at": at,
        "actor_id": actor_id,
        "item_id": item_id,
        "org_id": org_id,
        "action": action,
        "trigger": trigger,
        "from_state": from_state,
        "to_state": to_state,
        "reason": reason,
        "inputs": canonical(inputs or {}),
        "evidence": sorted(evidence or []),
        "signature": signature,
    }
    digest = entry_hash(body)
    body["hash"] = digest
    if isinstance(session, Connection):
        _DRIVER_INSERT.rowcount(session, body)
    else:  # through the session, so that what it holds is flushed first
        session.execute(_INSERT, body)
    return Head(tip.seq + 1, digest)
