#!/usr/bin/env bash
# Starts or stops a throw-away PostgreSQL 15 cluster for tests and benchmarks.
#
#   scripts/pg-cluster.sh start DIR PORT   initdb + start on 127.0.0.1:PORT, create roles and db
#   scripts/pg-cluster.sh stop DIR         stop and remove the cluster
#
# The cluster has two login roles, as tenancy expects in production:
#   tenancy_owner  owns the schemas and tables, runs migrations; BYPASSRLS so data
#                  migrations and operators see every tenant (CREATEDB for tests)
#   tenancy_app    serves requests: owns nothing, NOBYPASSRLS, cannot call set_config
# and a database `tenancy` owned by tenancy_owner. Authentication is `trust`
# on loopback only: this is a test cluster, never a deployment recipe.
# Exit code 77 means PostgreSQL 15 is not installed (tests report "skipped").
set -euo pipefail

PGBIN="${TENANCY_PGBIN:-/usr/lib/postgresql/15/bin}"
cmd="${1:?usage: pg-cluster.sh start DIR PORT | stop DIR}"
dir="${2:?cluster directory}"
port="${3:-54329}"

as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_cluster() {
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
}

case "$cmd" in
  start)
    if [[ ! -x "$PGBIN/initdb" ]]; then
      echo "pg-cluster: PostgreSQL 15 is not installed ($PGBIN/initdb missing)" >&2
      exit 77
    fi
    stop_cluster
    rm -rf "$dir"
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then chown postgres "$dir"; fi
    as_postgres "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-sync >"$dir/initdb.log" 2>&1
    as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null
    psql=("$PGBIN/../bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
    [[ -x "${psql[0]}" ]] || psql[0]="$(command -v psql)"
    # Databases created later (one per test) inherit template1's grants.
    "${psql[@]}" -d template1 <<'SQL'
CREATE ROLE tenancy_owner LOGIN CREATEDB BYPASSRLS;
CREATE ROLE tenancy_app LOGIN NOBYPASSRLS;
REVOKE EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) TO tenancy_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
    "${psql[@]}" -d postgres -c "CREATE DATABASE tenancy OWNER tenancy_owner"
    echo "postgres://tenancy_app@127.0.0.1:$port/tenancy"
    ;;
  stop)
    stop_cluster
    rm -rf "$dir"
    ;;
  *)
    echo "usage: pg-cluster.sh start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
