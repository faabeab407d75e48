"""Tampering with the stored ledger as a database administrator could, and `verify` catching it.

The administrator first drops the guard triggers (SQLite) or disables them (PostgreSQL). Each kind
of tampering runs inside one transaction on one connection, is verified there, and is rolled back,
so one sealed ledger serves every kind: `verify` must name the first bad entry exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Connection, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.workflow.helpers import issue_task
from workflow import ledger
from workflow.checkpoints import Verification, verify, write_checkpoint
from workflow.errors import LedgerError
from workflow.models import Item, LedgerEntry
from workflow.runtime import Runtime
from workflow.services.items import fire_transition

LEDGER = LedgerEntry.__table__
ITEMS = Item.__table__


@dataclass
class Sealed:
    """A ledger sealed by two checkpoints, with two unsealed entries after them.

    Entries by name: `a.issue`, `a.sign_for`, ... for item A, `b.*` for item B (see `_build`).
    """

    rt: Runtime
    a: int
    b: int
    ids: dict[str, int]
    first_seal: int
    sealed_through: int
    last: int

    def check(self, conn: Connection | None = None) -> Verification:
        if conn is None:
            with self.rt.read() as session:
                return verify(session, self.rt.checkpoint_path, self.rt.ledger_key())
        with Session(bind=conn) as session:
            return verify(session, self.rt.checkpoint_path, self.rt.ledger_key())


def _fire(world: World, item_id: int, trigger: str, inputs: dict[str, Any] | None = None) -> int:
    rt = world.rt
    with rt.read() as session:
        version = session.get_one(Item, item_id).version
    fire_transition(rt, world.person("handler_a"), item_id, trigger, inputs,
                    expected_version=version)
    with rt.read() as session:
        return int(session.scalar(select(LEDGER.c.id).order_by(LEDGER.c.id.desc()).limit(1)))


def _seal(rt: Runtime) -> int:
    with rt.transaction() as session:
        line = write_checkpoint(session, rt.checkpoint_path, rt.ledger_key(), rt.clock.now())
    assert line is not None
    return int(line["seq"])


@pytest.fixture
def sealed(world: World) -> Sealed:
    rt = world.rt
    a, b = issue_task(world, title="召开专题组织生活会"), issue_task(world, title="开展主题党日")
    ids: dict[str, int] = {}
    with rt.read() as session:
        for name, item_id in (("a", a), ("b", b)):
            ids[f"{name}.issue"] = int(session.scalar(
                select(LEDGER.c.id).where(LEDGER.c.item_id == item_id)))
    progress = {"comment": "按计划推进"}
    ids["a.sign_for"] = _fire(world, a, "sign_for")
    ids["b.sign_for"] = _fire(world, b, "sign_for")
    ids["a.start"] = _fire(world, a, "start")
    ids["a.report"] = _fire(world, a, "report_progress", progress)
    ids["b.start"] = _fire(world, b, "start")
    first_seal = _seal(rt)
    ids["b.report"] = _fire(world, b, "report_progress", progress)
    ids["a.report2"] = _fire(world, a, "report_progress", progress)
    sealed_through = _seal(rt)
    ids["b.report2"] = _fire(world, b, "report_progress", progress)  # not sealed yet
    ids["b.report3"] = _fire(world, b, "report_progress", progress)  # not sealed yet
    return Sealed(rt, a, b, ids, first_seal, sealed_through, ids["b.report3"])


@contextmanager
def administrator(rt: Runtime) -> Iterator[Connection]:
    """A connection with the guards off, whose every change is rolled back at the end."""
    with rt.engine.connect() as conn:
        transaction = conn.begin()
        try:
            if conn.dialect.name == "postgresql":
                conn.execute(text("ALTER TABLE ledger_entries DISABLE TRIGGER USER"))
            else:
                conn.execute(text("DROP TRIGGER ledger_entries_no_update"))
                conn.execute(text("DROP TRIGGER ledger_entries_no_delete"))
            yield conn
        finally:
            transaction.rollback()


def _rows(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(LEDGER).order_by(LEDGER.c.id)).mappings()]


def _row(conn: Connection, entry_id: int) -> dict[str, Any]:
    return dict(conn.execute(select(LEDGER).where(LEDGER.c.id == entry_id)).mappings().one())


def _set(conn: Connection, entry_id: int, **values: Any) -> None:
    assert conn.execute(update(LEDGER).where(LEDGER.c.id == entry_id).values(**values)).rowcount


def _remove(conn: Connection, *entry_ids: int) -> None:
    conn.execute(delete(LEDGER).where(LEDGER.c.id.in_(entry_ids)))


# --- the kinds of tampering: each returns the id verify must name first -------------------------


def edit_content(s: Sealed, conn: Connection) -> int:
    _set(conn, s.ids["a.start"], reason="领导同意不再办理")
    return s.ids["a.start"]


def edit_unsealed_content(s: Sealed, conn: Connection) -> int:
    _set(conn, s.ids["b.report2"], inputs={"comment": "已全部完成"})
    return s.ids["b.report2"]


def rewrite_tail(s: Sealed, conn: Connection) -> int:
    """Edit an entry and recompute its hash and every later hash of its chain (and the item's
    cached head), so that every hash and chain link checks out: only the seal can tell."""
    prev = None
    for row in _rows(conn):
        if row["subject"] != f"item:{s.a}" or row["id"] < s.ids["a.sign_for"]:
            continue
        if row["id"] == s.ids["a.sign_for"]:
            row["reason"] = "已签收（补记）"
        else:
            row["prev_hash"] = prev
        row["hash"] = prev = ledger.entry_hash(row)
        _set(conn, row["id"], reason=row["reason"], prev_hash=row["prev_hash"], hash=row["hash"])
    conn.execute(update(ITEMS).where(ITEMS.c.id == s.a).values(ledger_head=prev))
    return s.ids["a.sign_for"]


def delete_middle(s: Sealed, conn: Connection) -> int:
    _remove(conn, s.ids["a.start"])
    return s.ids["a.start"]


def delete_chain_end(s: Sealed, conn: Connection) -> int:
    """Item A's newest entry; later entries of other chains remain."""
    _remove(conn, s.ids["a.report2"])
    conn.execute(update(ITEMS).where(ITEMS.c.id == s.a).values(
        ledger_seq=ITEMS.c.ledger_seq - 1, version=ITEMS.c.version - 1))
    return s.ids["a.report2"]


def delete_unsealed_middle(s: Sealed, conn: Connection) -> int:
    """Without a seal only the chain can tell, at the entry after the gap: inherent."""
    _remove(conn, s.ids["b.report2"])
    return s.ids["b.report3"]


def insert_entry(s: Sealed, conn: Connection) -> int:
    """A forged entry, well hashed and chained (a new subject), slipped into sealed history:
    ids are dense, so every later entry moves up one to make room."""
    at = s.ids["a.report"]
    for row in reversed(_rows(conn)):
        if row["id"] >= at:
            _set(conn, row["id"], id=row["id"] + 1)
    body = {"subject": "note:forged", "subject_seq": 1,
            "prev_hash": ledger.genesis_hash("note:forged"), "at": _row(conn, at - 1)["at"],
            "action": "note", "reason": "已当面汇报，视同完成", "inputs": {}, "evidence": []}
    conn.execute(insert(LEDGER).values(**body, id=at, hash=ledger.entry_hash(body)))
    return at


def reorder_within_chain(s: Sealed, conn: Connection) -> int:
    return _swap(conn, s.ids["a.start"], s.ids["a.report"])


def reorder_across_chains(s: Sealed, conn: Connection) -> int:
    """A's and B's adjacent entries swap places: each chain still reads in order."""
    assert s.ids["b.start"] == s.ids["a.report"] + 1
    return _swap(conn, s.ids["a.report"], s.ids["b.start"])


def _swap(conn: Connection, first: int, second: int) -> int:
    one, two = _row(conn, first), _row(conn, second)
    _remove(conn, first, second)
    conn.execute(insert(LEDGER).values(**{**two, "id": first}))
    conn.execute(insert(LEDGER).values(**{**one, "id": second}))
    return first


def truncate_tail(s: Sealed, conn: Connection) -> int:
    _remove(conn, *range(s.ids["b.report"], s.last + 1))
    return s.ids["b.report"]


#: each kind, the finding verify must report first, and whether the damage lies wholly within the
#: first checkpoint's range (then the second checkpoint must not be blamed)
KINDS: list[tuple[Callable[[Sealed, Connection], int], str, bool]] = [
    (edit_content, "content does not match its hash", True),
    (edit_unsealed_content, "content does not match its hash", False),
    (rewrite_tail, "differs from the sealed record", False),
    (delete_middle, "was sealed but is missing (deleted)", True),
    (delete_chain_end, "was sealed but is missing (deleted)", False),
    (delete_unsealed_middle, "breaks the chain", False),
    (insert_entry, "differs from the sealed record", False),
    (reorder_within_chain, "breaks the chain", True),
    (reorder_across_chains, "differs from the sealed record", True),
    (truncate_tail, "was sealed but is missing (the ledger was truncated)", False),
]


def test_an_intact_ledger_verifies(sealed: Sealed) -> None:
    result = sealed.check()
    with sealed.rt.read() as session:
        rows = session.execute(select(LEDGER.c.id, LEDGER.c.hash).order_by(LEDGER.c.id)).all()
    assert result.ok and result.problems == [] and result.first_bad is None
    assert result.count == len(rows) > 20
    assert (result.head_id, result.head_hash) == tuple(rows[-1]) == (sealed.last, rows[-1].hash)
    assert (result.sealed_through, result.checkpoints) == (sealed.sealed_through, 2)


def test_every_kind_of_tampering_names_the_first_bad_entry(sealed: Sealed) -> None:
    wrong = []
    for kind, finding, first_range_only in KINDS:
        with administrator(sealed.rt) as conn:
            expected = kind(sealed, conn)
            result = sealed.check(conn)
        messages = [message for _, message in result.problems]
        if (result.ok or result.first_bad != expected or finding not in messages[0]
                or (first_range_only and any("checkpoint 2" in m for m in messages))):
            wrong.append(f"{kind.__name__}: expected #{expected} ({finding}), got "
                         f"#{result.first_bad}: {result.problems}")
        if kind is rewrite_tail:  # every hash and link checks out: the seal alone tells
            assert not any("altered" in m or "breaks the chain" in m for m in messages)
    assert not wrong, "\n".join(wrong)
    # everything was rolled back and the guards are back
    assert sealed.check().ok
    with pytest.raises(DBAPIError, match="append-only"), sealed.rt.engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entries"))


def _lines(sealed: Sealed) -> list[str]:
    return sealed.rt.checkpoint_path.read_text().splitlines()


def _write(sealed: Sealed, lines: list[str]) -> None:
    sealed.rt.checkpoint_path.write_text("".join(line + "\n" for line in lines))


def _forge(line: str) -> str:
    """A checkpoint line whose content was changed without the key: the mac no longer fits."""
    data = json.loads(line)
    data["prefixes"] = "0" * 8 + data["prefixes"][8:]
    return json.dumps(data, sort_keys=True)


def test_a_damaged_checkpoint_file_fails_without_blaming_entries(sealed: Sealed) -> None:
    one, two = _lines(sealed)
    damaged = {
        "forged": [_forge(one), two],
        "garbled": [one[:40], two],
        "not an object": ["[1, 2, 3]", two],
        "removed": [two],
        "repeated": [one, one, two],
    }
    for damage, lines in damaged.items():
        _write(sealed, lines)
        result = sealed.check()
        assert not result.ok and result.first_bad is None and result.file_damaged, damage
        assert all(entry_id == 0 for entry_id, _ in result.problems), (damage, result.problems)
        assert "checkpoint" in result.problems[0][1]
        # the file is not extended while it is damaged
        with pytest.raises(LedgerError, match="damaged"), sealed.rt.transaction() as session:
            write_checkpoint(session, sealed.rt.checkpoint_path, sealed.rt.ledger_key(),
                             sealed.rt.clock.now())
        if damage in ("forged", "removed"):
            _still_covered_by_the_later_line(sealed)
    _write(sealed, [one, two])
    assert sealed.check().ok


def _still_covered_by_the_later_line(sealed: Sealed) -> None:
    """An entry rewritten (hash and all) in the lost line's range is caught by the next line's
    running digest, and reported against that line."""
    with administrator(sealed.rt) as conn:
        rows = _rows(conn)
        newest = {row["subject"]: row for row in rows}
        early = next(r for r in rows if r["id"] < sealed.first_seal and newest[r["subject"]] is r)
        early["reason"] = "补记"
        _set(conn, early["id"], reason="补记", hash=ledger.entry_hash(early))
        problems = sealed.check(conn).problems
    assert problems[0][0] == 0 and len(problems) == 2, problems
    assert problems[1][0] == sealed.sealed_through and "checkpoint 2" in problems[1][1]
