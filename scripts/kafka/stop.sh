#!/usr/bin/env bash
# Stops the broker that start.sh started (by its pid file) and waits for it to exit.
# Keeps its data: start.sh brings the same topics and offsets back.
# Tests use this to take Kafka away and check fault handling, so it must be repeatable.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/env.sh"

grace_s="${AEGIS_KAFKA_STOP_TIMEOUT:-60}"
started_ns=$(date +%s%N)

kafka_lock 300

if ! pid="$(kafka_pid)"; then
  rm -f "$kafka_pid_file"
  if tcp_open "$kafka_host" "$kafka_port"; then
    backend_line kafka running "$kafka_bootstrap is served by a process start.sh did not start; left alone"
  else
    backend_line kafka stopped "(was not running)"
  fi
  exit 0
fi

# SIGTERM lets the broker flush and close its logs cleanly, so the next start skips recovery.
kill -TERM "$pid" 2>/dev/null || true
deadline=$((SECONDS + grace_s))
while kill -0 "$pid" 2>/dev/null; do
  if ((SECONDS >= deadline)); then
    echo "  broker pid $pid still running after ${grace_s}s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    sleep 1
    break
  fi
  sleep 0.2
done
rm -f "$kafka_pid_file"
backend_line kafka stopped "pid $pid ($(elapsed_since "$started_ns"))"
