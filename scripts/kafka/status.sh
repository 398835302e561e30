#!/usr/bin/env bash
# Reports whether Kafka on 127.0.0.1:9092 passes a produce/consume round trip; exit 1 if not.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/env.sh"

if pid="$(kafka_pid)"; then
  owner="pid $pid"
elif [[ -s "$kafka_pid_file" ]]; then
  owner="stale pid file: pid $(<"$kafka_pid_file") is gone, see $kafka_log_dir/server.log"
else
  owner="no broker started by scripts/kafka/start.sh"
fi

if ! tcp_open "$kafka_host" "$kafka_port"; then
  backend_line kafka down "nothing on $kafka_bootstrap ($owner)"
  exit 1
fi
if error="$(kafka_probe 15000 --once 2>&1 >/dev/null)"; then
  backend_line kafka ready "$kafka_bootstrap ($owner, data $kafka_data_dir)"
else
  backend_line kafka broken "$kafka_bootstrap accepts connections but: ${error#kafka probe: }"
  exit 1
fi
