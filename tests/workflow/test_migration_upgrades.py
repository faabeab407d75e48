"""Upgrading a database full of data from every earlier revision to the newest one.

For each revision before the head, a fresh database is migrated to exactly that revision and
filled through raw SQL with what a deployment of that release held: the organisation tree,
people and their roles, lists and items in several states with evidence and links, and ledger
chains whose hashes are right (plus, from the revision that introduced them, tokens, the sweep's
bookkeeping, the accountability register, notifications, assessments and spot checks). Then it is
upgraded to the head, and the data must be intact row for row, the ledger must verify, the models
must read every row, and the engine must carry on: a transition fires on an old item, the sweep
runs over the old items, and a checkpoint seals the result.

Every table that exists at a revision must receive rows here; a new table in a later migration
makes the test say so, so that upgrades are always tested with data in every table.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Connection, bindparam, inspect, select, text
from sqlalchemy.orm import Session

import workflow.models  # noqa: F401  (registers every table)
from tests.conftest import BACKENDS, RUN_ID, START, _pg_admin, _pg_url, _settings
from workflow import ledger, rollups
from workflow.checkpoints import verify, write_checkpoint
from workflow.clock import FixedClock
from workflow.config import PROJECT_ROOT
from workflow.db import Base, UTCDateTime
from workflow.runtime import Runtime
from workflow.schema import alembic_config, is_current
from workflow.services import orgs
from workflow.services.items import fire_transition
from workflow.services.sweeps import run_sweep

SCRIPT = ScriptDirectory.from_config(alembic_config("sqlite://"))
LINE = [revision.revision for revision in reversed(list(SCRIPT.walk_revisions()))]
EARLIER = LINE[:-1]
#: when the old release wrote its data: items fell due before the test's clock (START)
OLD = START - timedelta(days=60)


@pytest.fixture(scope="module")
def postgresql_database() -> Iterator[str]:
    """One PostgreSQL database for the module; each test empties it (a database per test costs
    a second to create and drop, ten times the rest of the test)."""
    name = f"sandan_up_{RUN_ID}_{uuid.uuid4().hex[:10]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield _pg_url(name)
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all, on each backend in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    url = str(request.getfixturevalue("postgresql_database"))
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
    return url


def _upgrade(rt: Runtime, revision: str) -> None:
    with rt.engine.begin() as connection:
        config = alembic_config(rt.settings.database_url)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


class Seed:
    """Raw SQL inserts for one revision's schema; ledger entries hashed as the engine hashes."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.ids: dict[str, int] = {}

    def insert(self, table: str, key: str | None = None, **values: Any) -> int:
        """INSERT one row (every column quoted: `trigger`, `before` and `after` are keywords)."""
        names = ", ".join(f'"{name}"' for name in values)
        marks = ", ".join(f":{name}" for name in values)
        returning = " RETURNING id" if key else ""
        statement = text(f"INSERT INTO {table} ({names}) VALUES ({marks}){returning}").bindparams(
            *(bindparam(name, type_=_type(value)) for name, value in values.items()))
        result = self.connection.execute(statement, values)
        if key is None:
            return 0
        self.ids[key] = int(result.scalar_one())
        return self.ids[key]

    def update(self, table: str, row_id: int, **values: Any) -> None:
        sets = ", ".join(f'"{name}" = :{name}' for name in values)
        statement = text(f"UPDATE {table} SET {sets} WHERE id = :row_id").bindparams(
            *(bindparam(name, type_=_type(value)) for name, value in values.items()))
        self.connection.execute(statement, {**values, "row_id": row_id})

    def append(self, subject: str, at: datetime, action: str, **fields: Any) -> None:
        """One ledger entry at the tip of `subject`'s chain; an item's cached tip follows."""
        tip = self.connection.execute(
            text("SELECT subject_seq, hash FROM ledger_entries WHERE subject = :s "
                 "ORDER BY subject_seq DESC LIMIT 1"), {"s": subject}).first()
        seq, prev = (tip.subject_seq, tip.hash) if tip else (0, ledger.genesis_hash(subject))
        body: dict[str, Any] = {name: None for name in ledger.HASHED_FIELDS}
        body.update(inputs={}, evidence=[])
        body.update(fields)
        body.update(subject=subject, subject_seq=seq + 1, prev_hash=prev, at=at, action=action)
        body["inputs"] = ledger.canonical(body["inputs"])
        body["hash"] = ledger.entry_hash(body)
        self.insert("ledger_entries", **body)
        if subject.startswith("item:"):
            self.update("items", int(subject[5:]), ledger_seq=seq + 1, ledger_head=body["hash"])

    def org(self, key: str, name: str, kind: str, parent: str | None) -> None:
        parent_path = self.path(parent) if parent else "/"
        org_id = self.insert("organisations", key, parent_id=self.ids.get(parent or ""), name=name,
                             kind=kind, path=f"/new-{key}/", depth=parent_path.count("/") - 1,
                             created_at=OLD)
        self.update("organisations", org_id, path=f"{parent_path}{org_id}/")
        self.append(f"org:{org_id}", OLD, "org.create", org_id=org_id, inputs={"name": name})

    def path(self, org: str) -> str:
        return str(self.connection.execute(
            text("SELECT path FROM organisations WHERE id = :id"), {"id": self.ids[org]}
        ).scalar_one())

    def person(self, key: str, org: str, role: str | None) -> None:
        person_id = self.insert(
            "people", key, username=key, display_name=f"{key}同志", password_hash=None,
            active=True, must_change_password=False, session_generation=0, failed_logins=0,
            org_id=self.ids[org], created_at=OLD)
        if role:
            self.insert("role_grants", "grant_" + key, person_id=person_id, org_id=self.ids[org],
                        role=role, granted_at=OLD)

    def item(self, key: str, item_list: str, kind: str, state: str, fields: dict[str, Any],
             due: datetime) -> None:
        branch, committee = self.path("branch"), self.path("committee")
        item_id = self.insert(
            "items", key, list_id=self.ids[item_list], kind=kind, definition_version=1,
            title=f"{key}：按期召开专题组织生活会", fields=fields,
            assignee_org_id=self.ids["branch"], org_path=branch,
            issuer_org_id=self.ids["committee"], issuer_path=committee,
            primary_person_id=self.ids["handler"], direct_person_id=None, state=state,
            is_open=True, due_at=due, original_due_at=due, next_deadline_at=due - timedelta(days=3),
            escalation_level=0, version=1, ledger_seq=0, created_at=OLD, updated_at=OLD)
        self.append(f"item:{item_id}", OLD, "issue", actor_id=self.ids["issuer"], item_id=item_id,
                    org_id=self.ids["branch"], to_state=state,
                    inputs={"title": key, "fields": fields, "due_at": due})

    def transition(self, key: str, trigger: str, before: str, after: str, actor: str,
                   *, final: bool = False, evidence: list[str] | None = None) -> None:
        at = OLD + timedelta(days=1)
        item_id = self.ids[key]
        self.append(f"item:{item_id}", at, "transition", actor_id=self.ids[actor],
                    item_id=item_id, org_id=self.ids["branch"], trigger=trigger,
                    from_state=before, to_state=after, evidence=sorted(evidence or []))
        self.update("items", item_id, state=after, version=2, is_open=not final, updated_at=at,
                    closed_at=at if final else None)


def _type(value: Any) -> Any:
    if isinstance(value, datetime):
        return UTCDateTime()
    if isinstance(value, dict | list):
        return JSON()
    return None


def _definition(seed: Seed, kind: str) -> None:
    path = PROJECT_ROOT / "definitions" / f"{kind}.yaml"
    seed.insert("definition_versions", kind=kind, version=1,
                source_hash=hashlib.sha256(path.read_bytes()).hexdigest(),
                source_name=f"definitions/{kind}.yaml",
                source_text=path.read_text(encoding="utf-8"), loaded_at=OLD)


MINUTES = hashlib.sha256(b"minutes of the branch meeting").hexdigest()
TASK_FIELDS = {"category": "党建", "description": "按期召开并形成会议记录"}


def _initial(seed: Seed) -> None:
    """0001: the tree, people, roles, lists, items in several states, evidence, links, ledger."""
    for kind in ("task", "rectification"):
        _definition(seed, kind)
    seed.org("committee", "县委企业工委", "working_committee", None)
    seed.org("branch", "甲公司党支部", "branch", "committee")
    for key, org, role in (("admin", "committee", "admin"), ("issuer", "committee", "issuer"),
                           ("handler", "branch", "handler"), ("inspector", "committee", None)):
        seed.person(key, org, role)
    seed.insert("inspector_assignments", "assignment", person_id=seed.ids["inspector"],
                org_id=seed.ids["branch"], assigned_at=OLD)
    for key, kind in (("tasks", "task"), ("rectifications", "rectification")):
        seed.insert("item_lists", key, kind=kind, title=f"2026年第一季度{kind}清单",
                    issuer_org_id=seed.ids["committee"], issuer_path=seed.path("committee"),
                    issued_by_id=seed.ids["issuer"], issued_at=OLD, period="2026Q1")
    due = OLD + timedelta(days=30)
    for key in ("open", "received", "withdrawn"):
        seed.item(key, "tasks", "task", "issued", TASK_FIELDS, due)
    seed.insert("evidence_files", sha256=MINUTES, size=29, content_type="application/pdf",
                stored_at=OLD)
    seed.insert("item_evidence", "evidence", item_id=seed.ids["received"], sha256=MINUTES,
                filename="会议记录.pdf", uploaded_by_id=seed.ids["handler"], uploaded_at=OLD,
                item_version=1)
    seed.transition("received", "sign_for", "issued", "received", "handler", evidence=[MINUTES])
    seed.transition("withdrawn", "withdraw", "issued", "withdrawn", "issuer", final=True)
    seed.item("rectification", "rectifications", "rectification", "assigned",
              {"problem": "三会一课记录不全", "source": "月抽查"}, due)
    seed.insert("item_links", "link", from_item_id=seed.ids["rectification"],
                to_item_id=seed.ids["received"], kind="rectifies", created_at=OLD)


def _auth(seed: Seed) -> None:
    """0002_auth: a personal API token."""
    seed.insert("person_tokens", "token", person_id=seed.ids["handler"], name="手机",
                prefix="sd_abc123", secret_hash="0" * 64, created_at=OLD,
                created_by_id=seed.ids["handler"], expires_at=OLD + timedelta(days=365))
    seed.append(f"person:{seed.ids['handler']}", OLD, "token.create",
                actor_id=seed.ids["handler"], inputs={"name": "手机", "prefix": "sd_abc123"})


def _sweep(seed: Seed) -> None:
    """0003_sweep: an overdue, escalated item with its register entry, waiver and notices."""
    item_id, at = seed.ids["open"], OLD + timedelta(days=31)
    seed.update("items", item_id, overdue_at=OLD + timedelta(days=30), escalation_level=1,
                escalated_at=at, reminded_at=OLD + timedelta(days=27))
    seed.append(f"item:{item_id}", at, "escalate", item_id=item_id, org_id=seed.ids["branch"],
                inputs={"level": 1, "action": "remind"})
    seed.insert("accountability_entries", "register", item_id=item_id, org_id=seed.ids["branch"],
                org_path=seed.path("branch"), issuer_path=seed.path("committee"),
                primary_person_id=seed.ids["handler"], level=1, action="remind",
                reason="逾期未办结", created_at=at)
    seed.insert("escalation_waivers", "waiver", item_id=seed.ids["rectification"],
                reason="汛期抢险", expires_at=OLD + timedelta(days=40),
                created_by_id=seed.ids["issuer"], created_at=at)
    seed.insert("notification_robots", "robot", org_id=seed.ids["branch"],
                org_path=seed.path("branch"), kind="wecom", token="robot-key", enabled=True,
                created_at=OLD)
    seed.insert("notification_preferences", person_id=seed.ids["handler"], language="zh",
                email="digest", muted=[])
    seed.insert("notifications", "notice", dedupe_key=f"escalate:{item_id}:1", channel="inbox",
                person_id=seed.ids["handler"], item_id=item_id, template="escalate",
                params={"level": 1}, urgent=False, status="sent", attempts=1, created_at=at,
                sent_at=at)


def _assessments(seed: Seed) -> None:
    """0004_assessments: a checklist, a scored assessment with a correction, a spot check."""
    path = PROJECT_ROOT / "definitions" / "assessments" / "branch_work.yaml"
    seed.insert("checklist_versions", name="branch_work", version=1,
                source_hash=hashlib.sha256(path.read_bytes()).hexdigest(),
                source_name="definitions/assessments/branch_work.yaml",
                source_text=path.read_text(encoding="utf-8"), loaded_at=OLD)
    branch, at = seed.ids["branch"], OLD + timedelta(days=2)
    seed.insert("assessments", "assessment", checklist="branch_work", checklist_version=1,
                period="2026Q1", yearly_items=False, org_id=seed.ids["committee"],
                org_path=seed.path("committee"), started_by_id=seed.ids["issuer"], started_at=at)
    score = seed.insert("assessment_scores", "score", assessment_id=seed.ids["assessment"],
                        org_id=branch, org_path=seed.path("branch"), state="reviewed", version=3,
                        result={"total": "83.00"}, created_at=at, updated_at=at)
    seed.insert("criterion_scores", "criterion", score_id=score, criterion="meetings",
                points="40", veto_failed=False, scored_by_id=seed.ids["inspector"], scored_at=at)
    seed.insert("score_evidence", "score_evidence", score_id=score, criterion="meetings",
                sha256=MINUTES, filename="会议记录.pdf", added_by_id=seed.ids["inspector"],
                added_at=at)
    seed.update("assessment_scores", score, state="locked", version=4, locked_at=at)
    seed.insert("score_corrections", "correction", score_id=score, seq=1, criterion="meetings",
                before={"points": "40"}, after={"points": "50"}, reason="复核更正",
                result={"total": "93.00"}, corrected_by_id=seed.ids["issuer"], corrected_at=at)
    seed.append(f"score:{score}", at, "score.lock", actor_id=seed.ids["issuer"], org_id=branch,
                inputs={"total": "83.00"})
    check = seed.insert(
        "spot_checks", "spot_check", period="2026-01", org_id=seed.ids["committee"],
        org_path=seed.path("committee"), target="items", seed=11, seed_source="given",
        population=[seed.ids["open"]], population_digest="0" * 64, sample=[seed.ids["open"]],
        review_due_at=at + timedelta(days=7), started_by_id=seed.ids["issuer"], started_at=at)
    seed.insert("spot_check_reviews", "review", spot_check_id=check, position=1, org_id=branch,
                org_path=seed.path("branch"), item_id=seed.ids["open"],
                inspector_id=seed.ids["inspector"], due_at=at + timedelta(days=7), state="open",
                not_done=False)
    seed.insert("assessment_proposals", "proposal", checklist="branch_work", period="2026Q1",
                org_id=seed.ids["committee"], level="branch", subject_org_id=branch,
                kind="commend", action="commend", rank=1, total="93.00", vetoed=False,
                reason="得分第一", state="proposed", created_by_id=seed.ids["issuer"],
                created_at=at)


def _api(seed: Seed) -> None:
    """0005_api: an evidence upload carrying its idempotency key."""
    content = hashlib.sha256(b"photo of the notice board").hexdigest()
    seed.insert("evidence_files", sha256=content, size=25, content_type="image/jpeg",
                stored_at=OLD)
    seed.insert("item_evidence", "upload", item_id=seed.ids["open"], sha256=content,
                filename="公示栏.jpg", uploaded_by_id=seed.ids["handler"], uploaded_at=OLD,
                item_version=2, idempotency_key="upload-1")


def _rollups(seed: Seed) -> None:
    """0009_rollups: the dashboard's counts as that release kept them, the mark carried to the
    day the old release stopped (every item due by then counted as overdue)."""
    rollups.rebuild(seed.connection, START - timedelta(days=1))


def _forecast(seed: Seed) -> None:
    """0010_forecast_snapshot: the worker's last forecast, the open item's next escalation."""
    as_of = OLD + timedelta(days=31)
    seed.insert("forecast_snapshots", name="escalations", as_of=as_of,
                until=as_of + timedelta(days=7), days=7, computed_at=as_of)
    seed.insert("forecast_escalations", seq=0, item_id=seed.ids["open"],
                org_path=seed.path("branch"), at=as_of + timedelta(days=2), level=2,
                action="urge")
    for unit in ("committee", "branch"):
        seed.insert("forecast_counts", org_id=seed.ids[unit], level=2, action="urge", n=1,
                    first_seq=0)


#: what a database holds from the revision that introduced it on
SEEDS: dict[str, Callable[[Seed], None]] = {
    "0001": _initial, "0002_auth": _auth, "0003_sweep": _sweep,
    "0004_assessments": _assessments, "0005_api": _api, "0009_rollups": _rollups,
    "0010_forecast_snapshot": _forecast,
}


def _snapshot(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but Alembic's own), columns in name order, rows sorted."""
    tables = sorted(set(inspect(connection).get_table_names()) - {"alembic_version"})
    snapshot = {}
    for table in tables:
        columns = sorted(c["name"] for c in inspect(connection).get_columns(table))
        names = ", ".join(f'"{c}"' for c in columns)
        rows = connection.execute(text(f"SELECT {names} FROM {table}")).all()
        snapshot[table] = sorted((tuple(row) for row in rows), key=repr)
    return snapshot


def _narrowed(old_columns: dict[str, list[str]],
              connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """The new database's rows, limited to the tables and columns the old revision had."""
    narrowed = {}
    for table, columns in old_columns.items():
        names = ", ".join(f'"{c}"' for c in columns)
        rows = connection.execute(text(f"SELECT {names} FROM {table}")).all()
        narrowed[table] = sorted((tuple(row) for row in rows), key=repr)
    return narrowed


@pytest.mark.parametrize("revision", EARLIER)
def test_an_old_database_with_data_upgrades_to_the_head(
    empty_url: str, revision: str, tmp_path: Path
) -> None:
    (tmp_path / "instance").mkdir()
    rt = Runtime(_settings(tmp_path / "instance", empty_url), FixedClock(START))
    try:
        _upgrade(rt, revision)
        with rt.engine.begin() as connection:
            seed = Seed(connection)
            for introduced in LINE[: LINE.index(revision) + 1]:
                if introduced in SEEDS:
                    SEEDS[introduced](seed)
        with rt.engine.connect() as connection:
            before = _snapshot(connection)
            columns = {t: sorted(c["name"] for c in inspect(connection).get_columns(t))
                       for t in before}
        empty = [table for table, rows in before.items() if not rows]
        assert not empty, (f"tables {empty} exist at revision {revision} but this test seeds no "
                           "rows in them: add their data to SEEDS")

        _upgrade(rt, "head")
        assert is_current(rt.engine, rt.settings.database_url)
        with rt.engine.connect() as connection:
            assert _narrowed(columns, connection) == before
        _check_the_engine_carries_on(rt, seed.ids, before)
    finally:
        rt.dispose()


def _check_the_engine_carries_on(
    rt: Runtime, ids: dict[str, int], before: dict[str, list[tuple[Any, ...]]]
) -> None:
    entries = len(before["ledger_entries"])
    with Session(rt.engine) as session:
        result = verify(session, rt.checkpoint_path, rt.ledger_key())
        assert result.ok, result.problems
        assert result.count == entries
        # every row reads through the models
        for mapper in Base.registry.mappers:
            table = mapper.local_table.name  # type: ignore[union-attr]
            loaded = session.scalars(select(mapper.class_)).all()
            if table in before:  # a table the upgrade created is filled by its migration
                assert len(loaded) == len(before[table]), table
    handler = orgs.load_person(rt, ids["handler"])
    assert handler is not None
    with Session(rt.engine) as session:
        version = session.scalar(text("SELECT version FROM items WHERE id = :id"),
                                 {"id": ids["open"]})
    fired = fire_transition(rt, handler, ids["open"], "sign_for", {}, expected_version=version)
    assert (fired.from_state, fired.state) == ("issued", "received")
    run_sweep(rt, START + timedelta(days=1))
    with rt.transaction() as session:
        assert write_checkpoint(session, rt.checkpoint_path, rt.ledger_key(), START) is not None
    with Session(rt.engine) as session:
        result = verify(session, rt.checkpoint_path, rt.ledger_key())
    assert result.ok, result.problems
    assert result.count > entries and result.sealed_through == result.head_id
    with rt.engine.connect() as connection:  # the upgrade filled the dashboard's counts right
        assert rollups.differences(connection) == []
