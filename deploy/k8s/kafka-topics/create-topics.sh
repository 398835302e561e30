#!/usr/bin/env bash
# Creates the aegis.events.v1 topics and their dead-letter topics with kafka-topics.sh, for a
# Kafka not run by Strimzi.
# The same settings as the KafkaTopic resources beside this script (docs/events.md).
# Create them before the first Aegis start: a service creates a missing topic itself, but
# only with its partition count and the broker's default retention.
#
#   KAFKA_BOOTSTRAP=broker:9092 REPLICATION_FACTOR=3 deploy/k8s/kafka-topics/create-topics.sh
#   (extra kafka-topics.sh options, e.g. --command-config client.properties, go after the script)
set -euo pipefail
bootstrap="${KAFKA_BOOTSTRAP:?set KAFKA_BOOTSTRAP to host:port of a broker}"
replication="${REPLICATION_FACTOR:-3}"
min_isr="${MIN_INSYNC_REPLICAS:-2}"
kafka_topics="${KAFKA_TOPICS_SH:-kafka-topics.sh}"
day_ms=86400000

create() {
  local topic="$1" partitions="$2"
  shift 2
  "$kafka_topics" --bootstrap-server "$bootstrap" --create --if-not-exists \
    --topic "$topic" --partitions "$partitions" --replication-factor "$replication" \
    --config "min.insync.replicas=$min_isr" "$@" "${EXTRA_ARGS[@]}"
}

EXTRA_ARGS=("$@")
create aegis.audit.v1   6  --config cleanup.policy=delete  --config "retention.ms=$((30 * day_ms))"
create aegis.usage.v1   12 --config cleanup.policy=delete  --config "retention.ms=$((7 * day_ms))"
create aegis.alerts.v1  3  --config cleanup.policy=delete  --config "retention.ms=$((7 * day_ms))"
create aegis.tenants.v1 3  --config cleanup.policy=compact
# Dead letters (libs/shared/src/events/dead-letter.ts): what billing and the audit sink refused.
create aegis.usage.v1.dlq 3 --config cleanup.policy=delete --config "retention.ms=$((30 * day_ms))"
create aegis.audit.v1.dlq 3 --config cleanup.policy=delete --config "retention.ms=$((90 * day_ms))"
