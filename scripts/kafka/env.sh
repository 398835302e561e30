# shellcheck shell=bash disable=SC2034 # variables are read by the scripts that source this
# Sourced by the Kafka scripts: where the jars, the data and the logs live, and small
# helpers about our broker process. Nothing is exported.

KAFKA_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../backends/lib.sh
source "$KAFKA_SCRIPTS_DIR/../backends/lib.sh"

kafka_version="${KAFKA_VERSION:-3.9.2}"
kafka_host=127.0.0.1
kafka_port="${AEGIS_KAFKA_PORT:-9092}"
kafka_controller_port="${AEGIS_KAFKA_CONTROLLER_PORT:-9093}"
kafka_bootstrap="$kafka_host:$kafka_port"

aegis_cache_dir="${AEGIS_CACHE_DIR:-${HOME:-/tmp}/.cache/aegis}"
# Jars are per version (immutable, shared by every broker); the broker's state is not,
# so stop.sh and reset.sh find the running broker whatever KAFKA_VERSION says.
kafka_libs_dir="$aegis_cache_dir/kafka-$kafka_version/libs"
kafka_home="$aegis_cache_dir/kafka-broker"
kafka_data_dir="$kafka_home/data"
kafka_log_dir="$kafka_home/logs"
kafka_config="$kafka_home/server.properties"
kafka_pid_file="$kafka_home/kafka.pid"
kafka_cluster_id_file="$kafka_home/cluster.id"
kafka_lock_file="$kafka_home/lock"

# Marks the JVM as ours: a pid file can outlive its process and the pid be reused.
kafka_marker="-Daegis.kafka.home=$kafka_home"

# Prints the pid of our running broker, or fails.
kafka_pid() {
  local pid
  [[ -f "$kafka_pid_file" ]] || return 1
  pid="$(<"$kafka_pid_file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$kafka_marker" || return 1
  echo "$pid"
}

# Serialises start/stop/reset across concurrent callers (several test runs may call
# up.sh at once). Uses fd 9; the broker itself must not inherit it (see start.sh).
kafka_lock() { # timeout_seconds
  mkdir -p "$kafka_home"
  exec 9>"$kafka_lock_file"
  if have flock && ! flock -w "$1" 9; then
    echo "kafka: another start/stop has held $kafka_lock_file for $1 s" >&2
    return 1
  fi
}

# One produce/consume round trip through kafkajs; see wait-ready.mjs.
kafka_probe() { # timeout_ms [--once]
  node "$KAFKA_SCRIPTS_DIR/wait-ready.mjs" --brokers "$kafka_bootstrap" --timeout-ms "$@"
}
