-- The application role's table rights: run as the owner after every `sandan init`.
--
--   psql -v app=sandan_app -f grants.sql "postgresql://sandan_owner@HOST/sandan"
--
-- Everything may be read and written except:
-- - the ledger (ledger_entries and its partitions, if it is partitioned): SELECT and INSERT only.
--   Its triggers refuse UPDATE, DELETE and TRUNCATE for every role; this makes the refusal a
--   permission error before any trigger runs, and one that no trigger change can lift;
-- - the migration record (alembic_version): SELECT only (readiness checks read it).
-- Idempotent: run it as often as you like.

\set ON_ERROR_STOP on

GRANT USAGE ON SCHEMA public TO :"app";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ledger_entries FROM :"app";
SELECT format('REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON %s FROM %I',
              inhrelid::regclass, :'app')
  FROM pg_inherits WHERE inhparent = 'ledger_entries'::regclass
\gexec
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM :"app";
-- a checkpoint locks the ledger through this function (migration 0007_ledger_lock)
GRANT EXECUTE ON FUNCTION sandan_lock_ledger() TO :"app";
