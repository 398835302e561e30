#!/usr/bin/env bash
# Redis on 127.0.0.1:6379, nothing kept on disk (a cache and rate-limit store for tests).
#   redis.sh up      make it usable (reuse, start it, or install it)
#   redis.sh status  report, exit 1 when it does not answer PING
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

host=127.0.0.1
port=6379
started_ns=$(date +%s%N)

pong() {
  if have redis-cli; then
    [[ "$(timeout 5 redis-cli -h "$host" -p "$port" ping 2>/dev/null)" == PONG ]]
  else
    # RESP inline command over bash's /dev/tcp: enough to tell a live Redis.
    # shellcheck disable=SC2016 # expanded by the inner bash, from its arguments
    timeout 5 bash -c '
      exec 3<>"/dev/tcp/$0/$1" || exit 1
      printf "PING\r\n" >&3
      IFS= read -r reply <&3
      [[ "$reply" == "+PONG"* ]]' "$host" "$port" 2>/dev/null
  fi
}

start_server() {
  mkdir -p /var/lib/redis /var/log/redis
  echo "  starting redis-server on $host:$port" >&2
  # The machine's own start command: no persistence, loopback only.
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
}

up() {
  local how="already running"
  if pong; then
    backend_line redis ready "$host:$port ($how, $(elapsed_since "$started_ns"))"
    return 0
  fi
  if tcp_open "$host" "$port"; then
    backend_line redis failed "something listens on $host:$port but does not answer PING"
    return 1
  fi
  if ! have redis-server; then
    can_apt_install || { backend_line redis failed "not on $host:$port, not installed, and apt-get as root is not available"; return 1; }
    apt_install redis-server redis-tools || { backend_line redis failed "apt-get install redis-server failed"; return 1; }
    how="installed"
    # The package may have started one itself.
    pong && { backend_line redis ready "$host:$port ($how, $(elapsed_since "$started_ns"))"; return 0; }
  else
    how="started"
  fi
  start_server >/dev/null || { backend_line redis failed "redis-server would not start (see /var/log/redis/ci.log)"; return 1; }
  local deadline=$((SECONDS + 15))
  until pong; do
    if ((SECONDS >= deadline)); then
      backend_line redis failed "no PONG on $host:$port after start (see /var/log/redis/ci.log)"
      return 1
    fi
    sleep 0.2
  done
  backend_line redis ready "$host:$port ($how, $(elapsed_since "$started_ns"))"
}

status() {
  if pong; then
    backend_line redis ready "$host:$port"
  else
    backend_line redis down "no PONG on $host:$port"
    return 1
  fi
}

case "${1:-}" in
  up) up ;;
  status) status ;;
  *) echo "usage: $0 up|status" >&2; exit 2 ;;
esac
