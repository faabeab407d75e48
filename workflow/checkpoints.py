"""Signed checkpoints that seal the ledger from outside the database, and the verifier.

Whoever can edit a ledger row can also recompute every later hash of its chain, so the chain alone
proves little against a database administrator. Every so often the engine seals all entries
written since the last checkpoint into one line of an append-only file kept outside the database:

    {"n": 7, "first": 5001, "seq": 6000, "ids": [[5001, 6000]], "prefixes": "9f3a…",
     "digest": "…", "at": "…", "mac": "…"}

`digest` is a running SHA-256 over the full hashes of every entry up to `seq` in id order;
`prefixes` holds the first 8 hex digits of each sealed entry's hash and `ids` the id ranges, so
the verifier can name exactly which entry was changed, deleted or inserted; `mac` is an
HMAC-SHA256 over the rest with a key kept in a file outside the database.

Sealing takes the ledger's write lock briefly (SHARE lock on PostgreSQL, BEGIN IMMEDIATE on SQLite)
so that no entry with a smaller id can commit after the seal.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from workflow.ledger import HASHED_FIELDS, format_time, genesis_hash, row_hash
from workflow.models import LedgerEntry

PREFIX = 8
_TABLE = LedgerEntry.__table__
_DIGEST_START = hashlib.sha256(b"sandan-checkpoint-genesis").hexdigest()


def ensure_key(path: Path) -> bytes:
    """Read the signing key, creating it (readable by the owner only) the first time."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # written whole under a temporary name, then linked into place: a process starting at
        # the same moment either wins the link or reads the winner's complete key, never half
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return path.read_text().strip().encode()


def _mac(key: bytes, line: dict[str, Any]) -> str:
    payload = json.dumps({k: v for k, v in line.items() if k != "mac"}, sort_keys=True)
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def _roll(digest: str, entry_hash: str) -> str:
    return hashlib.sha256((digest + entry_hash).encode()).hexdigest()


def read_checkpoints(path: Path, key: bytes) -> tuple[list[dict[str, Any]], list[str]]:
    """The intact checkpoint lines in order, and the problems with the file.

    A line is used only when it is a signed checkpoint that follows the one before it (`n` one
    higher, sealing only later ids). A line that is garbled, unsigned, repeated or moved back is
    skipped; a checkpoint missing between two intact lines is reported, and the verifier then
    relies on the next intact line's running digest for the ids the missing one sealed.
    """
    if not path.exists():
        return [], []
    lines: list[dict[str, Any]] = []
    problems: list[str] = []
    skipped = False  # a damaged line was skipped since the last intact one
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            problems.append(f"checkpoint file line {number} is not valid JSON")
            skipped = True
            continue
        if not isinstance(line, dict):
            problems.append(f"checkpoint file line {number} is not a checkpoint (not an object)")
            skipped = True
            continue
        if not hmac.compare_digest(str(line.get("mac", "")), _mac(key, line)):
            problems.append(f"checkpoint file line {number} has a bad signature")
            skipped = True
            continue
        if not _well_formed(line):
            problems.append(f"checkpoint file line {number} is signed but malformed")
            skipped = True
            continue
        previous = lines[-1] if lines else {"n": 0, "seq": 0}
        if line["n"] <= previous["n"] or line["first"] <= previous["seq"]:
            problems.append(
                f"checkpoint file line {number} repeats or reorders checkpoint {line['n']} "
                f"(checkpoint {previous['n']} sealing through #{previous['seq']} came before it)"
            )
            continue
        if line["n"] != previous["n"] + 1 and not skipped:
            missing = previous["n"] + 1
            which = f"{missing}" if missing == line["n"] - 1 else f"{missing}..{line['n'] - 1}"
            problems.append(f"checkpoint {which} is missing from the file (before line {number})")
        skipped = False
        lines.append(line)
    return lines, problems


def _well_formed(line: dict[str, Any]) -> bool:
    try:
        count = sum(end - start + 1 for start, end in line["ids"])
        return (
            all(isinstance(line[k], int) for k in ("n", "first", "seq"))
            and isinstance(line["digest"], str)
            and len(line["prefixes"]) == count * PREFIX
            and line["ids"][0][0] == line["first"]
            and line["ids"][-1][1] == line["seq"]
        )
    except (KeyError, TypeError, ValueError, IndexError):
        return False


def _ranges(ids: list[int]) -> list[list[int]]:
    ranges: list[list[int]] = []
    for entry_id in ids:
        if ranges and ranges[-1][1] == entry_id - 1:
            ranges[-1][1] = entry_id
        else:
            ranges.append([entry_id, entry_id])
    return ranges


def _lock_ledger(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # LOCK TABLE ledger_entries IN SHARE ROW EXCLUSIVE MODE, through a function with its
        # owner's rights (the application role may not take that lock itself, migration
        # 0007_ledger_lock): no insert is in flight, and a second checkpointer on another host
        # waits here, before it reads the file, so checkpoint lines never interleave
        session.execute(text("SELECT sandan_lock_ledger()"))
    else:
        # SQLite: the caller's BEGIN IMMEDIATE excludes every other writer, once the session
        # holds its connection; take it now, before the checkpoint file is read
        session.connection()


def write_checkpoint(
    session: Session, path: Path, key: bytes, now: datetime
) -> dict[str, Any] | None:
    """Seal every entry written since the last checkpoint; None when there is nothing new."""
    _lock_ledger(session)
    lines, problems = read_checkpoints(path, key)
    if problems:
        from workflow.errors import LedgerError

        raise LedgerError("refusing to extend a damaged checkpoint file: " + "; ".join(problems))
    last: dict[str, Any] = lines[-1] if lines else {"n": 0, "seq": 0, "digest": _DIGEST_START}
    rows = session.execute(
        select(_TABLE.c.id, _TABLE.c.hash).where(_TABLE.c.id > last["seq"]).order_by(_TABLE.c.id)
    ).all()
    if not rows:
        return None
    digest = last["digest"]
    for row in rows:
        digest = _roll(digest, row.hash)
    line: dict[str, Any] = {
        "n": last["n"] + 1,
        "first": rows[0].id,
        "seq": rows[-1].id,
        "ids": _ranges([row.id for row in rows]),
        "prefixes": "".join(row.hash[:PREFIX] for row in rows),
        "digest": digest,
        "at": format_time(now),
    }
    line["mac"] = _mac(key, line)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return line


@dataclass
class Verification:
    """What `verify` found. `problems` are (entry id, message), the first bad entry first;
    problems with the checkpoint file itself carry id 0."""

    count: int = 0
    head_id: int | None = None
    head_hash: str | None = None
    sealed_through: int = 0
    checkpoints: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad(self) -> int | None:
        """The lowest damaged entry id; None when no entry is blamed."""
        entries = [p[0] for p in self.problems if p[0]]
        return min(entries) if entries else None

    @property
    def file_damaged(self) -> bool:
        """The checkpoint file itself failed its check (forged, cut, reordered lines)."""
        return any(p[0] == 0 for p in self.problems)


def _sealed(lines: list[dict[str, Any]]) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """Every sealed (id, hash prefix, its checkpoint line), in id order."""
    for line in lines:
        prefixes = line["prefixes"]
        position = 0
        for start, end in line["ids"]:
            for entry_id in range(start, end + 1):
                yield entry_id, prefixes[position : position + PREFIX], line
                position += PREFIX


class _Verifier:
    """One pass over the ledger in id order, checking hashes, chains and the seals together."""

    def __init__(self, lines: list[dict[str, Any]], limit: int) -> None:
        self.result = Verification(checkpoints=len(lines))
        self.result.sealed_through = lines[-1]["seq"] if lines else 0
        self.lines = lines
        self.sealed = _sealed(lines)
        self.pending = next(self.sealed, None)
        self.tips: dict[str, tuple[int, str]] = {}
        self.digest = _DIGEST_START
        self.limit = limit
        # ids sealed by checkpoints missing from the file: only the next line's digest covers them
        self.holes = _holes(lines)

    def problem(self, entry_id: int, message: str) -> None:
        if len(self.result.problems) < self.limit:
            self.result.problems.append((entry_id, message))

    def visit(self, entry: Any) -> None:
        self.result.count += 1
        self.result.head_id, self.result.head_hash = entry.id, entry.hash
        self._check_content(entry)
        self._check_chain(entry)
        self._check_seal(entry)

    def _check_content(self, entry: Any) -> None:
        if row_hash(entry) != entry.hash:
            self.problem(
                entry.id, f"entry #{entry.id} was altered: its content does not match its hash"
            )

    def _check_chain(self, entry: Any) -> None:
        seq, prev = self.tips.get(entry.subject, (0, genesis_hash(entry.subject)))
        if entry.subject_seq != seq + 1 or entry.prev_hash != prev:
            self.problem(
                entry.id,
                f"entry #{entry.id} breaks the chain of {entry.subject}: expected number "
                f"{seq + 1} after {prev[:12]}…, found number {entry.subject_seq} after "
                f"{entry.prev_hash[:12]}… (an entry was deleted, inserted or reordered)",
            )
        self.tips[entry.subject] = (entry.subject_seq, entry.hash)

    def _check_seal(self, entry: Any) -> None:
        while self.pending and self.pending[0] < entry.id:
            self.problem(
                self.pending[0], f"entry #{self.pending[0]} was sealed but is missing (deleted)"
            )
            self._advance()
        if entry.id > self.result.sealed_through:
            return
        if not self.pending or self.pending[0] != entry.id:
            if any(low < entry.id < high for low, high in self.holes):
                self.digest = _roll(self.digest, entry.hash)
                return
            self.problem(entry.id, f"entry #{entry.id} was inserted after the ledger was sealed")
            return
        self.digest = _roll(self.digest, entry.hash)
        if entry.hash[:PREFIX] != self.pending[1]:
            self.problem(entry.id, f"entry #{entry.id} differs from the sealed record (rewritten)")
        self._advance()

    def _advance(self) -> None:
        line = self.pending[2] if self.pending else None
        self.pending = next(self.sealed, None)
        if line and (not self.pending or self.pending[2] is not line):
            if self.digest != line["digest"]:
                self.problem(
                    line["seq"],
                    f"entries up to #{line['seq']} do not match checkpoint {line['n']}",
                )
            # carry on from the signed digest, so damage is reported against its own checkpoint
            # rather than against every later one
            self.digest = line["digest"]

    def finish(self) -> Verification:
        while self.pending:
            self.problem(
                self.pending[0],
                f"entry #{self.pending[0]} was sealed but is missing (the ledger was truncated)",
            )
            self._advance()
        # by entry id; for one id, in the order found (the entry's own finding before its seal's)
        self.result.problems.sort(key=lambda problem: problem[0])
        return self.result


def _holes(lines: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """The open id ranges sealed only by checkpoints that are missing from the file."""
    holes, previous = [], {"n": 0, "seq": 0}
    for line in lines:
        if line["n"] != previous["n"] + 1:
            holes.append((previous["seq"], line["first"]))
        previous = line
    return holes


def verify(session: Session, path: Path, key: bytes, *, limit: int = 50) -> Verification:
    """Recompute every hash and chain and compare the ledger with its signed checkpoints."""
    lines, file_problems = read_checkpoints(path, key)
    verifier = _Verifier(lines, limit)
    for message in file_problems:
        verifier.problem(0, message)
    columns = [_TABLE.c.id, _TABLE.c.hash, *(_TABLE.c[name] for name in HASHED_FIELDS)]
    query = select(*columns).order_by(_TABLE.c.id).execution_options(yield_per=5000)
    for entry in session.execute(query):
        verifier.visit(entry)
    return verifier.finish()


def ledger_size(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(_TABLE)).scalar_one())
