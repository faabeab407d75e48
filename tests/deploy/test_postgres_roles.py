"""deploy/postgresql/: the owner migrates, the application role works but cannot rewrite the ledger.

Applies roles.sql and grants.sql with psql, as an operator would, to a database and two roles
made for this test (unique names, dropped at the end), runs the migrations as the owner, then the
engine as the application role: it appends ledger entries (accounts, an issued list, a
transition) and seals them with a checkpoint; its UPDATE, DELETE and TRUNCATE of ledger_entries
are refused with a permission error, before any trigger runs.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import BACKENDS, POSTGRES_URL, RUN_ID, START
from workflow.access import Scope
from workflow.checkpoints import verify, write_checkpoint
from workflow.clock import FixedClock
from workflow.config import Settings
from workflow.runtime import Runtime
from workflow.schema import store_definitions, upgrade_database
from workflow.services import orgs
from workflow.services.items import fire_transition
from workflow.services.lists import NewItem, issue_list

pytestmark = pytest.mark.skipif("postgresql" not in BACKENDS, reason="PostgreSQL only")
SETUP = Path(__file__).resolve().parents[2] / "deploy" / "postgresql"


@dataclass
class Cluster:
    owner: str
    app: str
    database: str

    def url(self, role: str) -> str:
        url = make_url(POSTGRES_URL).set(username=role, database=self.database)
        return url.render_as_string(hide_password=False)


def _psql(url: str, script: str, **variables: str) -> None:
    args = ["psql", "-X", "-q", url, "-f", str(SETUP / script)]
    for name, value in variables.items():
        args += ["-v", f"{name}={value}"]
    subprocess.run(args, check=True, capture_output=True, text=True, timeout=60)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    suffix = uuid.uuid4().hex[:8]
    made = Cluster(f"sandan_owner_{suffix}", f"sandan_app_{suffix}",
                   f"sandan_roles_{RUN_ID}_{suffix}")
    try:
        _psql(POSTGRES_URL, "roles.sql", owner=made.owner, app=made.app, dbname=made.database)
        yield made
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{made.database}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{made.app}"')
            admin.execute(f'DROP ROLE IF EXISTS "{made.owner}"')


def _runtime(url: str, instance: Path) -> Runtime:
    settings = Settings.from_env({}).with_(
        instance_path=instance, database_url=url, environment="test", secret_key="x" * 32,
        ledger_key_file=instance / "ledger.key", checkpoint_path=instance / "checkpoints.jsonl",
        evidence_path=instance / "evidence")
    return Runtime(settings, FixedClock(START))


def _work_as_app(rt: Runtime) -> None:
    """Accounts, a list issued, a transition fired, a checkpoint sealed: all as the app role."""
    system = Scope.system()
    committee = orgs.create_org(rt, system, name="县委企业工委", kind="working_committee")
    branch = orgs.create_org(rt, system, name="甲公司党支部", kind="branch", parent_id=committee)
    issuer = orgs.create_person(rt, system, username="issuer", display_name="组织部",
                                password="Sandan2026demo", org_id=committee,
                                must_change_password=False)
    handler = orgs.create_person(rt, system, username="handler", display_name="支部书记",
                                 password="Sandan2026demo", org_id=branch,
                                 must_change_password=False)
    orgs.grant_role(rt, system, person_id=issuer, org_id=committee, role="issuer")
    orgs.grant_role(rt, system, person_id=handler, org_id=branch, role="handler")
    issued = issue_list(rt, orgs.load_person(rt, issuer), kind="task", title="任务清单",
                        issuer_org_id=committee,
                        items=[NewItem(title="召开组织生活会", assignee_org_id=branch,
                                       due_at=START + timedelta(days=30),
                                       fields={"category": "党建", "description": "按期召开"})])
    fire_transition(rt, orgs.load_person(rt, handler), issued.item_ids[0], "sign_for",
                    expected_version=1)
    with rt.transaction() as session:
        assert write_checkpoint(session, rt.checkpoint_path, rt.ledger_key(), rt.clock.now())


def test_the_app_role_appends_to_the_ledger_but_cannot_rewrite_it(cluster: Cluster,
                                                                  tmp_path: Path) -> None:
    owner = _runtime(cluster.url(cluster.owner), tmp_path)
    upgrade_database(owner)  # `sandan init`, as the owner
    store_definitions(owner)
    owner.dispose()
    _psql(cluster.url(cluster.owner), "grants.sql", app=cluster.app)

    app = _runtime(cluster.url(cluster.app), tmp_path)
    _work_as_app(app)
    with app.read() as session:
        result = verify(session, app.checkpoint_path, app.ledger_key())
    app.dispose()
    assert result.ok and result.count >= 7 and result.sealed_through == result.head_id

    refused = []
    with psycopg.connect(cluster.url(cluster.app), autocommit=True) as connection:
        for statement in ("UPDATE ledger_entries SET reason = 'edited'",
                          "DELETE FROM ledger_entries",
                          "TRUNCATE ledger_entries",
                          "UPDATE alembic_version SET version_num = '0001'"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as error:
                connection.execute(statement)
            refused.append(str(error.value).splitlines()[0])
        # reading and appending are what it is for; other tables it may change
        assert connection.execute("SELECT count(*) FROM ledger_entries").fetchone()[0] >= 7
        connection.execute("UPDATE items SET title = title")
    assert refused == ["permission denied for table ledger_entries"] * 3 + [
        "permission denied for table alembic_version"]


def test_the_app_role_owns_nothing_and_cannot_create_tables(cluster: Cluster) -> None:
    with psycopg.connect(cluster.url(cluster.app), autocommit=True) as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("CREATE TABLE sneaky (id int)")
        owned = connection.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = "
            "(SELECT oid FROM pg_roles WHERE rolname = current_user)").fetchone()[0]
    assert owned == 0
