#!/usr/bin/env bash
# Prints the state of each backend; exits 1 when any is not usable. Starts nothing.
set -euo pipefail
backends_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

down=()
bash "$backends_dir/postgres.sh" status || down+=(postgres)
bash "$backends_dir/redis.sh" status || down+=(redis)
bash "$backends_dir/../kafka/status.sh" || down+=(kafka)

if ((${#down[@]} > 0)); then
  echo "backends: not usable: ${down[*]} (bash scripts/backends/up.sh brings them up)" >&2
  exit 1
fi
