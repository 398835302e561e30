#!/usr/bin/env bash
# Brings up every backend that dev and tests need and returns once each is usable:
# PostgreSQL (127.0.0.1:5432, db test), Redis (127.0.0.1:6379), Kafka (127.0.0.1:9092).
# Reuses what already runs, so a second call takes about a second.
# Exits non-zero naming each backend that could not be brought up.
set -euo pipefail
backends_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$backends_dir/lib.sh"

started_ns=$(date +%s%N)
failed=()

# Each is tried even when an earlier one failed: one run then tells everything that is wrong.
bash "$backends_dir/postgres.sh" up || failed+=(postgres)
bash "$backends_dir/redis.sh" up || failed+=(redis)
bash "$backends_dir/../kafka/start.sh" || failed+=(kafka)

if ((${#failed[@]} > 0)); then
  echo "backends: could not bring up: ${failed[*]}" >&2
  exit 1
fi
echo "backends: all ready in $(elapsed_since "$started_ns")"
