#!/usr/bin/env bash
# Stops our broker and wipes its data, logs and cluster id: the next start.sh formats a
# brand-new cluster. The downloaded jars are kept.
set -euo pipefail
kafka_scripts_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$kafka_scripts_dir/env.sh"

bash "$kafka_scripts_dir/stop.sh"
kafka_lock 300
rm -rf "$kafka_data_dir" "$kafka_log_dir" "$kafka_cluster_id_file" "$kafka_config" "$kafka_home/version"
backend_line kafka reset "wiped $kafka_home (jars in $aegis_cache_dir/kafka-<version>/libs kept)"
