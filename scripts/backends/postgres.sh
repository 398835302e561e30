#!/usr/bin/env bash
# PostgreSQL on 127.0.0.1:5432 with trust auth and a database `test`.
#   postgres.sh up      make it usable (reuse, start the local cluster, or install it)
#   postgres.sh status  report, exit 1 when it is not usable
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

host=127.0.0.1
port=5432
database='test'
started_ns=$(date +%s%N)

# Usable means what the tests do: log in over TCP as `postgres` and query `test`.
usable() {
  if have psql; then
    PGCONNECT_TIMEOUT=5 psql -h "$host" -p "$port" -U postgres -d "$database" -Atqc 'select 1' >/dev/null 2>&1
  else
    tcp_open "$host" "$port"
  fi
}

answers() {
  if have pg_isready; then
    pg_isready -h "$host" -p "$port" -t 3 -q
  else
    tcp_open "$host" "$port"
  fi
}

wait_answers() { # seconds
  local deadline=$((SECONDS + $1))
  until answers; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

# The newest installed major version, e.g. 15; empty when none.
cluster_version() {
  [[ -d /etc/postgresql ]] || return 0
  find /etc/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V | tail -n 1
}

start_cluster() {
  local version
  version="$(cluster_version)"
  [[ -n "$version" ]] || return 1
  if [[ ! -d "/etc/postgresql/$version/main" ]]; then
    pg_createcluster "$version" main >/dev/null
  fi
  echo "  starting PostgreSQL $version cluster main" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
}

# A fresh Debian cluster allows only peer/md5 logins over TCP; tests log in without a password.
configure_trust() {
  local version hba
  version="$(cluster_version)"
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  [[ -f "$hba" ]] || return 0
  if ! grep -Eq '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
    echo "  allowing trust logins from 127.0.0.1 and ::1 in $hba" >&2
    # First matching line wins in pg_hba.conf, so these go on top.
    printf '%s\n' 'host all all 127.0.0.1/32 trust' 'host all all ::1/128 trust' | cat - "$hba" >"$hba.new"
    chown --reference="$hba" "$hba.new"
    chmod --reference="$hba" "$hba.new"
    mv "$hba.new" "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  fi
}

# Runs SQL as the postgres superuser through the local socket, where Debian allows peer
# login for the postgres OS user whatever pg_hba.conf says about TCP.
as_superuser() { # sql
  if have runuser && id postgres >/dev/null 2>&1; then
    runuser -u postgres -- psql -p "$port" -d postgres -Atqc "$1"
  else
    psql -h "$host" -p "$port" -U postgres -d postgres -Atqc "$1"
  fi
}

ensure_roles_and_database() {
  if [[ "$(as_superuser "select 1 from pg_roles where rolname = 'root'")" != 1 ]]; then
    as_superuser 'create role root superuser login' >/dev/null
  fi
  if [[ "$(as_superuser "select 1 from pg_database where datname = '$database'")" != 1 ]]; then
    echo "  creating database $database" >&2
    as_superuser "create database $database" >/dev/null
  fi
}

up() {
  local how="already running"
  if usable; then
    backend_line postgres ready "$host:$port db=$database ($how, $(elapsed_since "$started_ns"))"
    return 0
  fi
  if ! answers; then
    if ! have pg_ctlcluster || [[ -z "$(cluster_version)" ]]; then
      can_apt_install || { backend_line postgres failed "not on $host:$port, not installed, and apt-get as root is not available"; return 1; }
      apt_install postgresql postgresql-client || { backend_line postgres failed "apt-get install postgresql failed"; return 1; }
      how="installed"
    else
      how="started"
    fi
    answers || start_cluster || true
    wait_answers 30 || { backend_line postgres failed "not accepting connections on $host:$port after start (see /var/log/postgresql)"; return 1; }
  else
    how="repaired"
  fi
  # Answers but the test login fails: a new install, or a cluster missing the test database.
  if ! usable && [[ "$(id -u)" == 0 ]] && have pg_ctlcluster; then
    { configure_trust && ensure_roles_and_database; } || echo "  could not configure trust auth and database $database" >&2
  fi
  if usable; then
    backend_line postgres ready "$host:$port db=$database ($how, $(elapsed_since "$started_ns"))"
  else
    backend_line postgres failed "answers on $host:$port but 'psql -U postgres -d $database' fails (auth or missing database)"
    return 1
  fi
}

status() {
  if usable; then
    backend_line postgres ready "$host:$port db=$database"
  elif answers; then
    backend_line postgres broken "answers on $host:$port but 'psql -U postgres -d $database' fails"
    return 1
  else
    backend_line postgres down "nothing on $host:$port"
    return 1
  fi
}

case "${1:-}" in
  up) up ;;
  status) status ;;
  *) echo "usage: $0 up|status" >&2; exit 2 ;;
esac
