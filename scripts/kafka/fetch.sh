#!/usr/bin/env bash
# Lays the Kafka broker's jars into $AEGIS_CACHE_DIR/kafka-<version>/libs with Maven,
# once; later calls return at once. Maven Central is the one source of Kafka this
# project's machines can reach, so there is no tarball download here.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/env.sh"

# Touched only after a complete copy was moved into place.
complete_marker="$kafka_libs_dir/.complete"
if [[ -f "$complete_marker" ]]; then
  exit 0
fi

if ! have mvn || ! have java; then
  echo "kafka: needs java (17+) and mvn to fetch the broker jars" >&2
  exit 1
fi

staging="$kafka_libs_dir.partial.$$"
maven_log="$aegis_cache_dir/kafka-$kafka_version/maven.log"
mkdir -p "$(dirname "$kafka_libs_dir")"
rm -rf "$staging"
trap 'rm -rf "$staging"' EXIT

echo "  fetching org.apache.kafka:kafka_2.13:$kafka_version from Maven Central (log: $maven_log)" >&2
if ! mvn -B -q -Dstyle.color=never -f "$KAFKA_SCRIPTS_DIR/pom.xml" \
    dependency:copy-dependencies \
    -Dkafka.version="$kafka_version" -DincludeScope=runtime -DoutputDirectory="$staging" \
    >"$maven_log" 2>&1; then
  # Maven colours its output even in batch mode; keep the terminal readable.
  grep -E 'ERROR|Could not' "$maven_log" | head -n 5 | sed 's/\x1b\[[0-9;]*m//g' >&2 || true
  echo "kafka: could not resolve kafka_2.13:$kafka_version with Maven (see $maven_log)" >&2
  exit 1
fi
if ! compgen -G "$staging/kafka_2.13-$kafka_version.jar" >/dev/null; then
  echo "kafka: Maven ran but kafka_2.13-$kafka_version.jar is missing from $staging" >&2
  exit 1
fi

# Swap in whole: a half-copied libs dir would start a broker that fails on a missing class.
rm -rf "$kafka_libs_dir"
mv "$staging" "$kafka_libs_dir"
touch "$complete_marker"
