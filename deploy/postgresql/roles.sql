-- Sandan's PostgreSQL roles and database: run once, as a superuser (or a CREATEROLE role).
--
--   psql -v owner=sandan_owner -v app=sandan_app -v dbname=sandan -f roles.sql
--
-- owner: owns the database and every table; only `sandan init` (the migrations) connects as it.
-- app:   what the web nodes and workers connect as. It may read and write the tables, but the
--        ledger (ledger_entries) only read and append: no UPDATE, DELETE or TRUNCATE. The
--        table-level grants come from grants.sql, run as the owner after every `sandan init`.
-- Give the roles passwords with psql's \password (it keeps them out of files and shell history)
-- or use certificate / peer authentication in pg_hba.conf.

\set ON_ERROR_STOP on

CREATE ROLE :"owner" LOGIN;
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
-- the app must never own anything: an owner can drop triggers, and the ledger's refuse writes
CREATE DATABASE :"dbname" OWNER :"owner" ENCODING 'UTF8' TEMPLATE template0;

\connect :"dbname"
REVOKE ALL ON DATABASE :"dbname" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"dbname" TO :"app";
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
-- tables a later migration adds: read and append only, until grants.sql says more. A forgotten
-- grants.sql shows as a refused UPDATE, never as a role with more rights than it should have.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
