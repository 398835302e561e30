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
# AEGIS_AUDIT_PUBLIC_KEYS (base64 SPKI DER, comma-separated) adds producer keys the audit sink
# trusts besides the services' own. Needs kubectl, openssl (1.1.1 or later: Ed25519) and base64.
set -euo pipefail
namespace="${1:-aegis}"
kubectl="${KUBECTL:-kubectl}"
: "${DATABASE_URL:?set DATABASE_URL (postgres://...), used by every service without its own}"
: "${REDIS_URL:?set REDIS_URL (redis://, rediss:// or redis+cluster://)}"

# Secret values go to kubectl in files, never as arguments: a process's arguments are readable
# by every user of the machine (ps, /proc/*/cmdline) while it runs.
umask 077
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
value_file() {
  local file
  file="$(mktemp "$workdir/value.XXXXXX")"
  printf '%s' "$1" >"$file"
  printf '%s' "$file"
}

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
  for pair in "$@"; do args+=("--from-file=${pair%%=*}=$(value_file "${pair#*=}")"); done
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
create aegis-audit "DATABASE_URL=$(database_url audit)"

# Audit checkpoint signing keys (docs/deployment.md, "Audit signing keys"): one Ed25519 key per
# service in aegis-audit-signing, base64 PKCS8 DER as AEGIS_AUDIT_SIGNING_KEY reads it. Kept
# once made, like every key here: verifiers pin the public halves. A service missing from an
# existing Secret gets a key added.
services=(auth policy ratelimit pii billing audit)
signing_key() { openssl genpkey -algorithm ed25519 -outform DER | base64 | tr -d '\n'; }
public_key() { printf '%s' "$1" | base64 -d | openssl pkey -inform DER -pubout -outform DER | base64 | tr -d '\n'; }
secret_value() { "$kubectl" get secret "$1" --namespace "$namespace" -o "jsonpath={.data.$2}" 2>/dev/null | base64 -d; }
declare -A signing=()
if "$kubectl" get secret aegis-audit-signing --namespace "$namespace" >/dev/null 2>&1; then
  echo "secret/aegis-audit-signing exists: kept"
  for service in "${services[@]}"; do
    signing[$service]="$(secret_value aegis-audit-signing "$service")"
    if [[ -z "${signing[$service]}" ]]; then
      signing[$service]="$(signing_key)"
      "$kubectl" patch secret aegis-audit-signing --namespace "$namespace" --type merge \
        --patch-file "$(value_file "{\"stringData\":{\"$service\":\"${signing[$service]}\"}}")" >/dev/null
      echo "secret/aegis-audit-signing: added a key for $service"
    fi
  done
else
  pairs=()
  for service in "${services[@]}"; do
    signing[$service]="$(signing_key)"
    pairs+=("$service=${signing[$service]}")
  done
  create aegis-audit-signing "${pairs[@]}"
fi

# What the audit sink trusts (AEGIS_AUDIT_PUBLIC_KEYS): the public half of every key above, the
# keys it trusted before (a rotated-out key still verifies the checkpoints it signed), and any
# given in AEGIS_AUDIT_PUBLIC_KEYS here (external producers such as a gateway using the SDK).
# Public keys, not secrets: rewritten on every run. Removing a compromised key is a manual edit.
trusted=()
for service in "${services[@]}"; do trusted+=("$(public_key "${signing[$service]}")"); done
# (aegis-audit/AEGIS_AUDIT_PUBLIC_KEYS: where an older version of this script kept them.)
previous="$(secret_value aegis-audit-trusted-keys AEGIS_AUDIT_PUBLIC_KEYS || true),$(secret_value aegis-audit AEGIS_AUDIT_PUBLIC_KEYS || true)"
IFS=', ' read -r -a more <<<"$(printf '%s,%s' "$previous" "${AEGIS_AUDIT_PUBLIC_KEYS:-}" | tr '\n' ',')"
for entry in "${more[@]}"; do
  if [[ -n "$entry" && " ${trusted[*]} " != *" $entry "* ]]; then trusted+=("$entry"); fi
done
public_keys="$(IFS=,; printf '%s' "${trusted[*]}")"
"$kubectl" create secret generic aegis-audit-trusted-keys --namespace "$namespace" \
  "--from-literal=AEGIS_AUDIT_PUBLIC_KEYS=$public_keys" --dry-run=client -o yaml | "$kubectl" apply -f -
