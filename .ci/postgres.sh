#!/usr/bin/env bash
# Install (if missing) and start a local PostgreSQL server, create a test database, and export
# REGADVISOR_TEST_POSTGRES_URL for the distributed-tuning tests. Source it: . .ci/postgres.sh
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PG_DATA=${PG_DATA:-/tmp/regadvisor-pg}
PG_PORT=${PG_PORT:-55432}
if [ ! -f "$PG_DATA/PG_VERSION" ]; then
  rm -rf "$PG_DATA"
  mkdir -p "$PG_DATA"
  chown postgres:postgres "$PG_DATA"
  su postgres -c "$PG_BIN/initdb -D $PG_DATA -A trust -U postgres" >/dev/null
fi
if ! su postgres -c "$PG_BIN/pg_ctl -D $PG_DATA status" >/dev/null 2>&1; then
  su postgres -c "$PG_BIN/pg_ctl -D $PG_DATA -l $PG_DATA/server.log -w \
    -o '-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1' start" >/dev/null
fi
psql_do() { su postgres -c "psql -h 127.0.0.1 -p $PG_PORT -U postgres -tAc \"$1\""; }
if [ "$(psql_do "SELECT 1 FROM pg_roles WHERE rolname='regadvisor'")" != "1" ]; then
  psql_do "CREATE ROLE regadvisor LOGIN PASSWORD 'regadvisor'" >/dev/null
fi
psql_do "DROP DATABASE IF EXISTS regadvisor_test" >/dev/null
psql_do "CREATE DATABASE regadvisor_test OWNER regadvisor" >/dev/null
export REGADVISOR_TEST_POSTGRES_URL="postgresql://regadvisor:regadvisor@127.0.0.1:$PG_PORT/regadvisor_test"
# A second role whose password appears nowhere else, for the test that no output holds it.
if [ "$(psql_do "SELECT 1 FROM pg_roles WHERE rolname='ra_secret'")" != "1" ]; then
  psql_do "CREATE ROLE ra_secret LOGIN PASSWORD 'Qz7-pw@sec'" >/dev/null
fi
psql_do "DROP DATABASE IF EXISTS ra_secret_db" >/dev/null
psql_do "CREATE DATABASE ra_secret_db OWNER ra_secret" >/dev/null
export REGADVISOR_TEST_POSTGRES_SECRET_URL="postgresql://ra_secret:Qz7-pw%40sec@127.0.0.1:$PG_PORT/ra_secret_db"
export REGADVISOR_REQUIRE_POSTGRES=1
echo "PostgreSQL ready at 127.0.0.1:$PG_PORT (database regadvisor_test)"
