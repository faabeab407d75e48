"""a function that seals the ledger without the right to change it (PostgreSQL)

A checkpoint locks ledger_entries in SHARE ROW EXCLUSIVE mode so that no insert is in flight
while it reads the newest id, and two checkpointers (on two hosts) take turns. PostgreSQL grants
that lock only to roles that may UPDATE, DELETE or TRUNCATE the table, which the least-privilege
application role (deploy/postgresql/) must not have. This SECURITY DEFINER function takes the
lock with its owner's rights (the role that runs the migrations) and does nothing else; the lock
lasts until the caller's transaction ends.

Revision ID: 0007_ledger_lock
Revises: 0006_dashboards
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_ledger_lock"
down_revision = "0006_dashboards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar()
    table = f'"{schema}".ledger_entries'
    op.execute(f"""
        CREATE FUNCTION "{schema}".sandan_lock_ledger() RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
        AS 'LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE'
    """)
    # only the roles deploy/postgresql/grants.sql names may hold up every writer
    op.execute(f'REVOKE EXECUTE ON FUNCTION "{schema}".sandan_lock_ledger() FROM PUBLIC')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION sandan_lock_ledger()")
