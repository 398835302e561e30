#!/usr/bin/env bash
# Creates the Secrets the manifests reference (never stored in git), with fresh random keys.
# Existing Secrets are left alone: replacing a key destroys what was sealed or hashed with it
# (API keys, SSO client secrets, PII tokens, webhook secrets). Rotate keys as docs/deployment.md says.
#
#   DATABASE_URL=postgres://aegis:...@postgres.db:5432/aegis \
#   REDIS_URL=redis://:...@redis.db:6379 \
#   deploy/k8s/create-secrets.sh [namespace]
#
# AEGIS_<SERVICE>_DATABASE_URL (e.g. AEGIS_BILLING_DATABASE_URL) gives one service its own database.
set -euo pipefail
namespace="${1:-aegis}"
kubectl="${KUBECTL:-kubectl}"
: "${DATABASE_URL:?set DATABASE_URL (postgres://...), used by every service without its own}"
: "${REDIS_URL:?set REDIS_URL (redis://, rediss:// or redis+cluster://)}"

key() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }
keyring() { printf 'k1:%s' "$(key)"; }
database_url() {
  local own="AEGIS_${1^^}_DATABASE_URL"
  printf '%s' "${!own:-$DATABASE_URL}"
}

create() {
  local name="$1"
  shift
  if "$kubectl" get secret "$name" --namespace "$namespace" >/dev/null 2>&1; then
    echo "secret/$name exists: kept"
    return
  fi
  local args=()
  for pair in "$@"; do args+=("--from-literal=$pair"); done
  "$kubectl" create secret generic "$name" --namespace "$namespace" "${args[@]}"
}

create aegis-redis "REDIS_URL=$REDIS_URL"
create aegis-auth "DATABASE_URL=$(database_url auth)" \
  "AEGIS_AUTH_API_KEY_PEPPER=$(key)" "AEGIS_AUTH_ENCRYPTION_KEYS=$(keyring)"
create aegis-policy "DATABASE_URL=$(database_url policy)"
create aegis-ratelimit "DATABASE_URL=$(database_url ratelimit)"
create aegis-pii "DATABASE_URL=$(database_url pii)" \
  "AEGIS_PII_HASH_KEY=$(key)" "AEGIS_PII_TOKEN_KEYS=$(keyring)"
billing=("DATABASE_URL=$(database_url billing)" "AEGIS_BILLING_ENCRYPTION_KEYS=$(keyring)")
if [[ -n "${AEGIS_BILLING_SMTP_URL:-}" ]]; then billing+=("AEGIS_BILLING_SMTP_URL=$AEGIS_BILLING_SMTP_URL"); fi
create aegis-billing "${billing[@]}"
