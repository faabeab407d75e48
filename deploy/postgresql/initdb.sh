#!/bin/sh
# The postgres container's first start (/docker-entrypoint-initdb.d/): the roles and database
# of roles.sql, with the passwords from the environment (docker-compose.yml).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v owner=sandan_owner -v app=sandan_app -v dbname=sandan \
     -f /docker-entrypoint-initdb.d/roles.sql.in
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v owner_password="$SANDAN_OWNER_PASSWORD" -v app_password="$SANDAN_APP_PASSWORD" <<'SQL'
ALTER ROLE sandan_owner PASSWORD :'owner_password';
ALTER ROLE sandan_app PASSWORD :'app_password';
SQL
