#!/usr/bin/env bash
# Provide a Docker engine and the Postgres test image on a Debian 12 machine (as root).
#
# No image registry can be reached from these machines, so nothing can be pulled:
# the image `supakit/postgres:15` is built from Debian's own packages with debootstrap
# and `docker import`, with an entrypoint of ours that behaves like the official
# `postgres:15` image's for what supakit uses (POSTGRES_PASSWORD, POSTGRES_USER, PGDATA,
# `postgres ARGS...`). The same provider code therefore runs on either image.
#
# Idempotent: every step is skipped when its result is already there.
set -euo pipefail

IMAGE="${SUPAKIT_DOCKER_IMAGE:-supakit/postgres:15}"
DOCKERD_LOG=/var/log/supakit-dockerd.log
DEFAULT_MIRROR=http://deb.debian.org/debian

say() { echo "docker.sh: $*"; }

# --- packages -------------------------------------------------------------------------
missing=()
command -v dockerd >/dev/null || [ -x /usr/sbin/dockerd ] || missing+=(docker.io)
command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  say "docker.io and debootstrap already installed"
fi
export PATH="$PATH:/usr/sbin:/sbin"

# --- engine ---------------------------------------------------------------------------
dockerd_running() {
  [ -s /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null
}
if docker info >/dev/null 2>&1; then
  say "docker engine already answers"
else
  if dockerd_running; then
    say "dockerd is running (pid $(cat /var/run/docker.pid)) but not answering yet; waiting"
  else
    say "starting dockerd (log: $DOCKERD_LOG)"
    # setsid -f: a session of its own, so it outlives this script and its terminal.
    nohup setsid -f dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null
  fi
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  if ! docker info >/dev/null 2>&1; then
    say "docker engine did not answer within 60 s; last lines of $DOCKERD_LOG:" >&2
    tail -n 20 "$DOCKERD_LOG" >&2 || true
    exit 1
  fi
  say "docker engine answers"
fi

# --- image ----------------------------------------------------------------------------
# What the image holds; an image built with another list (an older script) is rebuilt.
PACKAGES="postgresql-15,postgresql-15-cron,postgresql-15-pgtap"
if [ "$(docker image inspect -f '{{ index .Config.Labels "supakit.packages" }}' "$IMAGE" 2>/dev/null)" = "$PACKAGES" ]; then
  say "image $IMAGE already present ($PACKAGES)"
  exit 0
fi

# The mirror apt uses here (the first `deb` stanza listing bookworm), else Debian's default.
mirror_from_sources() {
  local file=/etc/apt/sources.list.d/debian.sources
  [ -r "$file" ] || return 0
  awk '
    function flush() { if (is_deb && has_suite && uri != "" && !found) { print uri; found = 1 } is_deb = has_suite = 0; uri = "" }
    /^[[:space:]]*$/ { flush(); next }
    /^[[:space:]]*#/ { next }
    tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") is_deb = 1 }
    tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == "bookworm") has_suite = 1 }
    tolower($1) == "uris:" { uri = $2 }
    END { flush() }
  ' "$file"
}
MIRROR="$(mirror_from_sources)"
MIRROR="${MIRROR:-$DEFAULT_MIRROR}"

ROOTFS="$(mktemp -d /var/tmp/supakit-rootfs.XXXXXX)"
cleanup() {
  set +e  # a cleanup step that fails must not skip the next one
  # debootstrap mounts /proc and /sys inside the tree; never let rm walk into them.
  awk -v root="$ROOTFS/" 'index($2, root) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r target; do umount -l "$target"; done
  rm -rf --one-file-system "$ROOTFS"
}
trap cleanup EXIT

say "debootstrap bookworm with $PACKAGES from $MIRROR into $ROOTFS (about a minute)"
debootstrap --variant=minbase --include="$PACKAGES" bookworm "$ROOTFS" "$MIRROR" \
  >/var/log/supakit-debootstrap.log 2>&1 || {
  say "debootstrap failed; last lines of /var/log/supakit-debootstrap.log:" >&2
  tail -n 20 /var/log/supakit-debootstrap.log >&2
  exit 1
}

say "trimming the tree (package caches, the cluster Debian's postinst created)"
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
  "$ROOTFS"/var/lib/postgresql/15 "$ROOTFS"/etc/postgresql/15/main

say "writing the entrypoint"
cat >"$ROOTFS/usr/local/bin/supakit-postgres-entrypoint" <<'ENTRYPOINT'
#!/bin/sh
# Entrypoint of supakit/postgres:15, compatible with the official postgres image for:
#   POSTGRES_PASSWORD (required), POSTGRES_USER (default postgres),
#   PGDATA (default /var/lib/postgresql/data), POSTGRES_INITDB_ARGS,
#   `postgres ARGS...` or `-c ...` as the command.
set -eu

export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
POSTGRES_USER="${POSTGRES_USER:-postgres}"

# Like the official image: a first argument that is an option means "postgres OPTIONS".
case "${1:-postgres}" in
  -*) set -- postgres "$@" ;;
esac
[ "$#" -gt 0 ] || set -- postgres

if [ "$1" != postgres ]; then
  exec "$@"
fi

as_postgres() {
  if [ "$(id -u)" = 0 ]; then
    HOME=/var/lib/postgresql USER=postgres LOGNAME=postgres \
      setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  chmod 2775 /var/run/postgresql
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "supakit-postgres-entrypoint: database is uninitialized and POSTGRES_PASSWORD is not set" >&2
    exit 1
  fi
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  [ "$(id -u)" != 0 ] || chown postgres:postgres "$pwfile"
  # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of words, as upstream.
  as_postgres initdb -D "$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-host=scram-sha-256 --auth-local=trust --encoding=UTF8 --locale=C \
    ${POSTGRES_INITDB_ARGS:-} >/dev/null
  rm -f "$pwfile"
  printf '\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  echo "supakit-postgres-entrypoint: initialized $PGDATA for user $POSTGRES_USER"
fi

shift  # "postgres"; the rest are its arguments
if [ "$(id -u)" = 0 ]; then
  exec env HOME=/var/lib/postgresql USER=postgres LOGNAME=postgres \
    setpriv --reuid=postgres --regid=postgres --init-groups -- postgres "$@"
fi
exec postgres "$@"
ENTRYPOINT
chmod 755 "$ROOTFS/usr/local/bin/supakit-postgres-entrypoint"

say "importing the tree as $IMAGE"
tar --numeric-owner -C "$ROOTFS" -c . | docker import \
  --change 'ENTRYPOINT ["/usr/local/bin/supakit-postgres-entrypoint"]' \
  --change 'CMD ["postgres"]' \
  --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV PGDATA=/var/lib/postgresql/data' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'EXPOSE 5432' \
  --change "LABEL supakit.packages=$PACKAGES" \
  --message "supakit: Debian bookworm + $PACKAGES (built by .ci/docker.sh)" \
  - "$IMAGE" >/dev/null
say "image $IMAGE built ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
