#!/usr/bin/env bash
# Install everything supakit needs on a fresh Debian machine (as root), idempotently.
#   bash .ci/install.sh            Python packages, PostgreSQL 15 (+ pg_cron, pgTAP, pg_prove), nginx, PgBouncer, PostgREST
#   bash .ci/install.sh --docker   ... plus docker.io, a running dockerd and the test image
set -euo pipefail
cd "$(dirname "$0")/.."

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

missing=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
[ -f /usr/share/postgresql/15/extension/pgtap.control ] || missing+=(postgresql-15-pgtap)
command -v pg_prove >/dev/null || missing+=(libtap-parser-sourcehandler-pgtap-perl)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
[ -f /usr/share/postgresql/15/extension/pg_cron.control ] || missing+=(postgresql-15-cron)
command -v npm >/dev/null || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install.sh: apt-get install ${missing[*]}"
  apt_install "${missing[@]}"
fi
# Debian starts the packaged services; supakit runs its own.
service nginx stop >/dev/null 2>&1 || true
service pgbouncer stop >/dev/null 2>&1 || true
service postgresql stop >/dev/null 2>&1 || true

python -m pip install -q --disable-pip-version-check -e '.[test,bench]'
python -c 'from supakit.stack.postgrest import ensure_postgrest; print("install.sh: postgrest at", ensure_postgrest())'

if [ "${1:-}" = "--docker" ]; then
  bash .ci/docker.sh
fi
echo "install.sh: done"
