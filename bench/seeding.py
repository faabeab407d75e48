"""A large, realistic Sandan database on PostgreSQL, built fast and through the real schema.

    from bench.seeding import Shape, seed
    seeded = seed(rt, Shape(items=1_000_000))     # rt: a Runtime on an empty PostgreSQL database

The schema comes from the real migrations (`workflow.schema.upgrade_database`) and the shipped
definitions; the rows are written with COPY in chunks, not through the ORM, because the engine's
own services would take hours for a million items. What is written is what the engine would have
written had it done the work itself:

- an organisation tree: a committee (县委) → industries (行业工委) → enterprises (企业党委) →
  branches (党支部), plus inspection teams (督查组) beside the industries;
- people with roles: an issuer and a leader at the committee and at each industry, a handler at
  every enterprise and two at every branch, inspectors assigned to enterprises;
- task items in every state of the task definition, each with the ledger chain its state implies
  (issue, sign_for, start, evidence, submit, approve, close), hashed by `workflow.ledger` so that
  `sandan ledger verify` passes, and the item's cached chain tip, version and clock columns set
  as the engine sets them. A fraction `due_fraction` of the open items is already due, so a
  sweep has work to do.

While rows load, the secondary indexes of `items` and `ledger_entries` are dropped and rebuilt
afterwards from their own definitions (a bulk import's usual trick: one sort per index instead
of millions of random B-tree inserts); primary keys stay, so foreign keys are checked as rows
arrive. Sequences are moved past the explicit ids, the tables analysed, and the ledger sealed by
a signed checkpoint, as `sandan ledger checkpoint` would.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from workflow import rollups
from workflow.checkpoints import write_checkpoint
from workflow.ledger import canonical, entry_hash, genesis_hash
from workflow.runtime import Runtime
from workflow.schema import store_definitions, upgrade_database

#: the task definition's states in the order an item passes through them, with the ledger entry
#: that takes an item into each: (action, trigger, actor kind, signature)
PATH = (
    ("issued", ("issue", None, "issuer", None)),
    ("received", ("transition", "sign_for", "handler", None)),
    ("in_progress", ("transition", "start", "handler", None)),
    ("evidence", ("evidence", None, "handler", None)),
    ("submitted", ("transition", "submit", "handler", None)),
    ("approved", ("transition", "approve", "inspector", "approved")),
    ("closed", ("transition", "close", "issuer", "closed")),
)
#: how the seeded items are spread over the states (closed work of earlier quarters dominates)
STATES = {"issued": 0.07, "received": 0.08, "in_progress": 0.35, "submitted": 0.07,
          "approved": 0.03, "closed": 0.40}
TOPICS = ("三会一课落实", "主题党日活动", "党费收缴核对", "发展党员材料", "组织生活会整改",
          "谈心谈话记录", "意识形态阵地检查", "安全生产责任落实", "作风建设自查", "党建品牌创建",
          "基层党建述职", "党员教育培训", "廉洁风险排查", "支部标准化建设")
CATEGORIES = ("党建", "业务", "党建+业务")
#: the steps of PATH that took an item to each state (in_progress and before carry no evidence)
SEQUENCES = {"issued": (0,), "received": (0, 1), "in_progress": (0, 1, 2),
             "submitted": (0, 1, 2, 3, 4), "approved": (0, 1, 2, 3, 4, 5),
             "closed": (0, 1, 2, 3, 4, 5, 6)}
CHUNK = 20_000


@dataclass(frozen=True)
class Shape:
    """How big a database to build. The defaults make 4,813 units (1 + 12 + 480 + 4,320)."""

    items: int = 1_000_000
    industries: int = 12
    enterprises: int = 40  # per industry
    branches: int = 9  # per enterprise
    teams: int = 7  # inspection teams, each assigned a share of the enterprises
    due_fraction: float = 0.005  # of open items, already due when the run starts
    seed: int = 2026

    @property
    def units(self) -> int:
        return 1 + self.industries * (1 + self.enterprises * (1 + self.branches)) + self.teams


@dataclass
class Persona:
    """Someone the load driver acts as."""

    person_id: int
    username: str
    role: str
    org_id: int


@dataclass
class Seeded:
    """What was built, for the load driver and the report."""

    items: int = 0
    units: int = 0
    people: int = 0
    ledger_entries: int = 0
    ledger_max_id: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    personas: list[Persona] = field(default_factory=list)


@dataclass
class _Tree:
    orgs: list[tuple[Any, ...]] = field(default_factory=list)
    people: list[tuple[Any, ...]] = field(default_factory=list)
    grants: list[tuple[Any, ...]] = field(default_factory=list)
    assignments: list[tuple[Any, ...]] = field(default_factory=list)
    paths: dict[int, str] = field(default_factory=dict)
    branches: list[int] = field(default_factory=list)
    enterprise_of: dict[int, int] = field(default_factory=dict)
    industry_of: dict[int, int] = field(default_factory=dict)
    #: org id -> person ids by role there
    holders: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    inspectors_of: dict[int, int] = field(default_factory=dict)  # enterprise -> inspector

    def org(self, parent: int | None, name: str, kind: str, code: str, at: datetime) -> int:
        org_id = len(self.orgs) + 1
        path = f"{self.paths[parent] if parent else '/'}{org_id}/"
        self.paths[org_id] = path
        depth = path.count("/") - 2
        self.orgs.append((org_id, parent, name, kind, code, path, depth, at))
        return org_id

    def person(self, org_id: int, username: str, name: str, post: str, at: datetime,
               role: str | None = None) -> int:
        person_id = len(self.people) + 1
        self.people.append((person_id, username, name, True, False, 1, 0, org_id, post, at))
        if role:
            self.grants.append((len(self.grants) + 1, person_id, org_id, role, at))
            self.holders.setdefault((org_id, role), []).append(person_id)
        return person_id


def build_tree(shape: Shape, at: datetime) -> _Tree:
    """Units and people, with ids in insertion order."""
    tree = _Tree()
    root = tree.org(None, "县委", "committee", "c", at)
    tree.person(root, "xianwei.issuer", "组织部干部", "组织部", at, "issuer")
    tree.person(root, "xianwei.leader", "县委书记", "书记", at, "leader")
    tree.person(root, "xianwei.admin", "系统管理员", "管理员", at, "admin")
    enterprises: list[int] = []
    for i in range(1, shape.industries + 1):
        industry = tree.org(root, f"第{i}行业工委", "working_committee", f"i{i}", at)
        tree.person(industry, f"i{i}.issuer", f"工委委员{i}", "组织委员", at, "issuer")
        tree.person(industry, f"i{i}.leader", f"工委书记{i}", "书记", at, "leader")
        for e in range(1, shape.enterprises + 1):
            enterprise = tree.org(industry, f"第{i}行业第{e}企业党委", "enterprise",
                                  f"i{i}e{e}", at)
            enterprises.append(enterprise)
            tree.industry_of[enterprise] = industry
            tree.person(enterprise, f"i{i}e{e}.head", f"企业党委书记{i}-{e}", "党委书记", at,
                        "handler")
            for b in range(1, shape.branches + 1):
                branch = tree.org(enterprise, f"第{b}党支部", "branch", f"i{i}e{e}b{b}", at)
                tree.branches.append(branch)
                tree.enterprise_of[branch] = enterprise
                tree.industry_of[branch] = industry
                tree.person(branch, f"i{i}e{e}b{b}.sec", f"支部书记{i}-{e}-{b}", "支部书记", at,
                            "handler")
                tree.person(branch, f"i{i}e{e}b{b}.org", f"组织委员{i}-{e}-{b}", "组织委员", at,
                            "handler")
    for t in range(1, shape.teams + 1):
        team = tree.org(root, f"第{t}督查组", "inspection_team", f"t{t}", at)
        for m in range(1, 4):
            inspector = tree.person(team, f"t{t}m{m}.inspector", f"督查组{t}组员{m}", "督查员",
                                    at, "inspector")
            for enterprise in enterprises[t - 1 :: shape.teams][m - 1 :: 3]:
                tree.assignments.append((len(tree.assignments) + 1, inspector, enterprise, at))
                tree.inspectors_of[enterprise] = inspector
    return tree


def seed(rt: Runtime, shape: Shape, *, log: Callable[[str], None] = print) -> Seeded:
    """Build the database behind `rt` (empty PostgreSQL) to `shape`; return what was built."""
    seeded, now = Seeded(), rt.clock.now()
    started = time.perf_counter()
    upgrade_database(rt)
    store_definitions(rt)
    seeded.seconds["migrations"] = time.perf_counter() - started
    tree = build_tree(shape, now - timedelta(days=400))
    url = rt.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '256MB'")
        _copy_tree(conn, tree)
        started = time.perf_counter()
        with _indexes_suspended(conn, ("items", "ledger_entries")):
            _copy_items(conn, tree, shape, now, seeded, log)
            seeded.seconds["rows"] = time.perf_counter() - started
            started = time.perf_counter()
        seeded.seconds["indexes"] = time.perf_counter() - started
        _finish(conn)
    started = time.perf_counter()
    with rt.write_connection() as connection:  # the rows above bypassed the engine's upkeep
        rollups.rebuild(connection, now)
    seeded.seconds["rollups"] = time.perf_counter() - started
    seeded.units, seeded.people = len(tree.orgs), len(tree.people)
    seeded.personas = _personas(tree)
    started = time.perf_counter()
    with rt.transaction() as session:
        write_checkpoint(session, rt.checkpoint_path, rt.ledger_key(), rt.clock.now())
    seeded.seconds["checkpoint"] = time.perf_counter() - started
    return seeded


def _copy_tree(conn: psycopg.Connection, tree: _Tree) -> None:
    _copy(conn, "organisations (id, parent_id, name, kind, code, path, depth, created_at)",
          tree.orgs)
    _copy(conn, "people (id, username, display_name, active, must_change_password, "
          "session_generation, failed_logins, org_id, post, created_at)", tree.people)
    _copy(conn, "role_grants (id, person_id, org_id, role, granted_at)", tree.grants)
    _copy(conn, "inspector_assignments (id, person_id, org_id, assigned_at)", tree.assignments)
    conn.commit()


def _copy(conn: psycopg.Connection, target: str, rows: list[tuple[Any, ...]]) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


@contextmanager
def _indexes_suspended(conn: psycopg.Connection, tables: tuple[str, ...]) -> Iterator[None]:
    """Drop the secondary indexes and unique constraints of `tables`; rebuild them after."""
    constraints = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'u' AND conrelid::regclass::text = ANY(%s)", [list(tables)]).fetchall()
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname "
        "NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))",
        [list(tables)]).fetchall()
    for table, name, _definition in constraints:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    conn.commit()
    yield
    for _name, definition in indexes:
        conn.execute(definition)
        conn.commit()
    for table, name, definition in constraints:
        conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        conn.commit()


class _Writer:
    """The rows of one chunk of items: the items, their ledger chains and their evidence."""

    def __init__(self, tree: _Tree, now: datetime, rng: random.Random, ledger_id: int) -> None:
        self.tree, self.now, self.rng = tree, now, rng
        self.ledger_id = ledger_id
        self.items: list[tuple[Any, ...]] = []
        self.ledger: list[tuple[Any, ...]] = []
        self.evidence: list[tuple[Any, ...]] = []

    def actor(self, kind: str, branch: int, issuer_org: int) -> int:
        tree = self.tree
        if kind == "handler":
            return tree.holders[(branch, "handler")][0]
        if kind == "inspector":
            return tree.inspectors_of[tree.enterprise_of[branch]]
        return tree.holders[(issuer_org, "issuer")][0]

    def entry(self, item_id: int, seq: int, prev: str, at: datetime, **body: Any) -> str:
        self.ledger_id += 1
        full = {"subject": f"item:{item_id}", "subject_seq": seq, "prev_hash": prev, "at": at,
                "item_id": item_id, "from_state": None, "to_state": None, "reason": None,
                "trigger": None, "signature": None, **body}
        full["inputs"] = canonical(full.get("inputs") or {})
        full["evidence"] = sorted(full.get("evidence") or [])
        digest = entry_hash(full)
        self.ledger.append((
            self.ledger_id, full["subject"], seq, prev, digest, _naive(at), full["actor_id"],
            item_id, full["org_id"], full["action"], full["trigger"], full["from_state"],
            full["to_state"], full["reason"], _json(full["inputs"]), _json(full["evidence"]),
            full["signature"]))
        return digest


def _copy_items(conn: psycopg.Connection, tree: _Tree, shape: Shape, now: datetime,
                seeded: Seeded, log: Callable[[str], None]) -> None:
    rng = random.Random(shape.seed)
    lists = _lists(conn, tree, now)
    states = list(STATES)
    weights = [STATES[s] for s in states]
    ledger_id, done = 0, 0
    while done < shape.items:
        writer = _Writer(tree, now, rng, ledger_id)
        for item_id in range(done + 1, min(done + CHUNK, shape.items) + 1):
            state = rng.choices(states, weights)[0]
            _item(writer, item_id, state, lists, shape)
        _copy(conn, "items (id, list_id, kind, definition_version, title, fields, "
              "assignee_org_id, org_path, issuer_org_id, issuer_path, primary_person_id, "
              "direct_person_id, state, is_open, due_at, original_due_at, next_deadline_at, "
              "escalation_level, version, ledger_seq, ledger_head, created_at, updated_at, "
              "closed_at, last_response_at)", writer.items)
        _copy(conn, "ledger_entries (id, subject, subject_seq, prev_hash, hash, at, actor_id, "
              "item_id, org_id, action, trigger, from_state, to_state, reason, inputs, "
              "evidence, signature)", writer.ledger)
        _copy(conn, "item_evidence (item_id, sha256, filename, uploaded_by_id, uploaded_at, "
              "item_version)", writer.evidence)
        conn.commit()
        done += len(writer.items)
        ledger_id = writer.ledger_id
        log(f"  seeded {done:,} items, {ledger_id:,} ledger entries")
    seeded.items, seeded.ledger_entries, seeded.ledger_max_id = done, ledger_id, ledger_id


def _lists(conn: psycopg.Connection, tree: _Tree, now: datetime) -> list[tuple[int, int]]:
    """One list per issuing unit (the committee and each industry) and quarter of two years."""
    issuers = [1] + sorted(set(tree.industry_of.values()))
    rows, lists = [], []
    for quarter in range(8):
        issued = now - timedelta(days=730 - 91 * quarter)
        for org in issuers:
            list_id = len(rows) + 1
            title = f"{issued.year}年第{(issued.month - 1) // 3 + 1}季度党建任务清单"
            rows.append((list_id, "task", title, org, tree.paths[org],
                         tree.holders[(org, "issuer")][0], issued, f"{issued.year}Q"))
            lists.append((list_id, org))
    _copy(conn, "item_lists (id, kind, title, issuer_org_id, issuer_path, issued_by_id, "
          "issued_at, period)", rows)
    # evidence files: one per branch, as if each branch scanned its own records
    _copy(conn, "evidence_files (sha256, size, content_type, stored_at)",
          [(_branch_file(b), 48_000, "application/pdf", now - timedelta(days=400))
           for b in tree.branches])
    conn.commit()
    return lists


def _item(writer: _Writer, item_id: int, state: str, lists: list[tuple[int, int]],
          shape: Shape) -> None:
    tree, rng, now = writer.tree, writer.rng, writer.now
    branch = rng.choice(tree.branches)
    candidates = [(lid, org) for lid, org in lists if org in (1, tree.industry_of[branch])]
    list_id, issuer_org = rng.choice(candidates)
    is_open = state != "closed"
    created = now - timedelta(days=rng.uniform(5, 60) if is_open else rng.uniform(60, 700))
    due = created + timedelta(days=30)
    if is_open and due <= now:
        due = now + timedelta(days=rng.uniform(1, 45))
    late = is_open and state in ("issued", "received", "in_progress") and \
        rng.random() < shape.due_fraction
    if late:  # due and not yet swept: the sweep meets it during the run
        due = now - timedelta(hours=rng.uniform(1, 48))
    title = f"{rng.choice(TOPICS)}（{item_id}）"
    fields = {"category": rng.choice(CATEGORIES), "description": f"按清单要求完成{title}"}
    steps = [PATH[i] for i in SEQUENCES[state]]
    moments = sorted(created + (now - created) * rng.random() * 0.9 for _ in steps[1:])
    if state == "closed":
        moments = sorted(created + timedelta(days=rng.uniform(0, 29)) for _ in steps[1:])
    head, seq, version, previous = genesis_hash(f"item:{item_id}"), 0, 0, None
    evidence = _branch_file(branch)
    handler = writer.actor("handler", branch, issuer_org)
    for (name, (action, trigger, kind, signature)), at in zip(steps, [created, *moments],
                                                             strict=True):
        seq += 1
        body: dict[str, Any] = {"actor_id": writer.actor(kind, branch, issuer_org),
                                "org_id": branch, "action": action, "signature": signature}
        if action == "issue":
            body.update(to_state="issued", inputs={"title": title, "fields": fields,
                                                   "due_at": due})
            version = 1
        elif action == "evidence":
            body.update(inputs={"filename": f"佐证材料{item_id}.pdf", "size": 48_000},
                        evidence=[evidence])
            writer.evidence.append((item_id, evidence, f"佐证材料{item_id}.pdf", handler,
                                    _naive(at), version))
        else:
            body.update(trigger=trigger, from_state=previous, to_state=name,
                        evidence=[evidence] if trigger == "submit" else [])
            version += 1
        if action != "evidence":
            previous = name
        head = writer.entry(item_id, seq, head, at, **body)
    last = moments[-1] if moments else created
    writer.items.append((
        item_id, list_id, "task", 1, title, _json(fields), branch, tree.paths[branch],
        issuer_org, tree.paths[issuer_org], tree.holders[(tree.enterprise_of[branch],
                                                          "handler")][0],
        handler, state, is_open, _naive(due), _naive(due),
        _naive(_next_deadline(state, due, now, last)), 0, version, seq, head, _naive(created),
        _naive(last), _naive(last) if state == "closed" else None,
        _naive(last) if version > 1 else None))


def _next_deadline(state: str, due: datetime, now: datetime, last: datetime) -> datetime | None:
    """What `workflow.deadlines.next_deadline` gives for the task definition, in short."""
    if state == "closed":
        return None
    if state in ("submitted", "approved"):  # review within five working days
        return max(last + timedelta(days=7), now + timedelta(hours=1))
    upcoming = [m for m in (due - timedelta(days=5), due - timedelta(days=1)) if m > now]
    return upcoming[0] if upcoming else due


def _branch_file(branch: int) -> str:
    import hashlib

    return hashlib.sha256(f"sandan-scale-evidence-{branch}".encode()).hexdigest()


def _finish(conn: psycopg.Connection) -> None:
    for table in ("organisations", "people", "role_grants", "inspector_assignments",
                  "item_lists", "items", "ledger_entries", "item_evidence"):
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                     f"(SELECT coalesce(max(id), 1) FROM {table}))")
    conn.commit()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    conn.autocommit = False


def _personas(tree: _Tree) -> list[Persona]:
    """Who the driver acts as: handlers of eight branches spread over the tree, three
    inspectors, the committee's and one industry's leader."""
    usernames = {row[0]: row[1] for row in tree.people}
    branches = tree.branches[:: max(1, len(tree.branches) // 8)][:8]
    personas = [Persona(tree.holders[(b, "handler")][0], "", "handler", b) for b in branches]
    inspectors = sorted({person for person, _org in _assigned(tree)})[:3]
    personas += [Persona(p, "", "inspector", 0) for p in inspectors]
    personas += [Persona(tree.holders[(org, "leader")][0], "", "leader", org)
                 for org in (1, tree.industry_of[branches[0]])]
    for persona in personas:
        persona.username = usernames[persona.person_id]
    return personas


def _assigned(tree: _Tree) -> list[tuple[int, int]]:
    return [(person, org) for _id, person, org, _at in tree.assignments]


def _naive(at: datetime | None) -> datetime | None:
    return at.astimezone(UTC).replace(tzinfo=None) if at is not None else None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
