"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

Each test gets a database of its own, copied from a template built once per run with the real
migrations and the shipped definitions: a file copy on SQLite, `CREATE DATABASE … TEMPLATE` on
PostgreSQL (on the server named by SANDAN_TEST_POSTGRES_URL, default the local one). Databases are
dropped at the end. SANDAN_TEST_DATABASES=sqlite limits a run to SQLite.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher

from workflow import passwords
from workflow.access import Scope
from workflow.clock import FixedClock
from workflow.config import Settings
from workflow.models import Person
from workflow.runtime import Runtime
from workflow.schema import store_definitions, upgrade_database
from workflow.services import orgs

POSTGRES_URL = os.environ.get(
    "SANDAN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = [b for b in os.environ.get("SANDAN_TEST_DATABASES", "sqlite,postgresql").split(",") if b]
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Beijing on a Monday
PASSWORD = "Sandan2026demo"
RUN_ID = uuid.uuid4().hex[:8]


def _pg_admin() -> psycopg.Connection:
    return psycopg.connect(POSTGRES_URL, autocommit=True)


def _pg_url(name: str) -> str:
    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/{name}"


def _settings(instance: Path, url: str) -> Settings:
    return Settings.from_env({}).with_(
        instance_path=instance, database_url=url, environment="test",
        ledger_key_file=instance / "ledger.key", checkpoint_path=instance / "checkpoints.jsonl",
        evidence_path=instance / "evidence", secret_key="test-secret",
    )


def _build_template(url: str, instance: Path) -> None:
    rt = Runtime(_settings(instance, url), FixedClock(START))
    upgrade_database(rt)
    store_definitions(rt)
    rt.dispose()


def pytest_report_header() -> str:
    """Say at the start whether the browser tests will run, and why not."""
    from tests.browser.live import chromium_path, unavailable

    return unavailable() or f"browser tests: Chromium at {chromium_path()}"


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Same argon2id algorithm, test-sized cost: the suite hashes hundreds of passwords."""
    original = passwords._HASHER
    passwords._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._HASHER = original


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated template database per backend."""
    built: dict[str, str] = {}
    root = tmp_path_factory.mktemp("templates")
    if "sqlite" in BACKENDS:
        built["sqlite"] = str(root / "template.db")
        _build_template(f"sqlite:///{built['sqlite']}", root)
    if "postgresql" in BACKENDS:
        name = f"sandan_tpl_{RUN_ID}"
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        _build_template(_pg_url(name), root)
        built["postgresql"] = name
    yield built
    if "postgresql" in built:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{built["postgresql"]}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, templates: dict[str, str],
                 tmp_path: Path) -> Iterator[str]:
    """A fresh database for this test, on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "sandan.db"
        shutil.copy(templates["sqlite"], path)
        yield f"sqlite:///{path}"
        return
    name = f"sandan_t_{RUN_ID}_{uuid.uuid4().hex[:10]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{templates["postgresql"]}"')
    yield _pg_url(name)
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    return _settings(instance, database_url)


@pytest.fixture
def rt(settings: Settings, clock: FixedClock) -> Iterator[Runtime]:
    runtime = Runtime(settings, clock)
    yield runtime
    runtime.dispose()


@dataclass
class World:
    """A small county: a committee over two branches (one with a group), and one person a role."""

    rt: Runtime
    committee: int
    branch_a: int
    branch_b: int
    group_a: int
    ids: dict[str, int]

    def person(self, name: str) -> Person:
        found = orgs.load_person(self.rt, self.ids[name])
        assert found is not None
        return found


@pytest.fixture
def world(rt: Runtime) -> World:
    system = Scope.system()
    committee = orgs.create_org(rt, system, name="县委企业工委", kind="working_committee")
    branch_a = orgs.create_org(rt, system, name="甲公司党支部", kind="branch", parent_id=committee)
    branch_b = orgs.create_org(rt, system, name="乙公司党支部", kind="branch", parent_id=committee)
    group_a = orgs.create_org(rt, system, name="第一党小组", kind="group", parent_id=branch_a)
    people = {
        "admin": (committee, ["admin"]),
        "issuer": (committee, ["issuer"]),
        "inspector": (committee, []),
        "handler_a": (branch_a, ["handler"]),
        "handler_a2": (branch_a, ["handler"]),
        "handler_b": (branch_b, ["handler"]),
        "group_handler": (group_a, ["handler"]),
        "leader": (committee, ["leader"]),
    }
    ids = {}
    for name, (org, roles) in people.items():
        ids[name] = orgs.create_person(rt, system, username=name, display_name=f"{name}同志",
                                       password=PASSWORD, org_id=org, must_change_password=False)
        for role in roles:
            orgs.grant_role(rt, system, person_id=ids[name], org_id=org, role=role)
    orgs.assign_inspector(rt, system, person_id=ids["inspector"], org_id=branch_a)
    orgs.assign_inspector(rt, system, person_id=ids["inspector"], org_id=branch_b)
    return World(rt, committee, branch_a, branch_b, group_a, ids)
