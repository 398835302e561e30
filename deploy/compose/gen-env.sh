#!/usr/bin/env bash
# Writes deploy/compose/.env with fresh random secrets for compose.yaml (readable by you only).
# An existing .env is kept: replacing a key destroys what was sealed or hashed with it (API keys,
# SSO client secrets, PII tokens, webhook secrets), and the database password is already set.
# Audit signing keys missing from it (an .env of an older version) are added, and
# AEGIS_AUDIT_PUBLIC_KEYS is brought up to date with them. Needs openssl 1.1.1 or later.
set -euo pipefail
env_file="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/.env"
key() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }
password() { head -c 24 /dev/urandom | base64 | tr -d '\n/+='; }
# Ed25519, base64 PKCS8 DER: the form AEGIS_AUDIT_SIGNING_KEY reads.
signing_key() { openssl genpkey -algorithm ed25519 -outform DER | base64 | tr -d '\n'; }
# Its public half, base64 SPKI DER: the form AEGIS_AUDIT_PUBLIC_KEYS and `aegis audit verify` read.
public_key() { printf '%s' "$1" | base64 -d | openssl pkey -inform DER -pubout -outform DER | base64 | tr -d '\n'; }
value() { sed -n "s/^$1=//p" "$env_file" | tail -n 1; }
umask 077

if [[ -e "$env_file" ]]; then
  echo "$env_file exists: its secrets are kept" >&2
else
  cat > "$env_file" <<ENV
POSTGRES_PASSWORD=$(password)
REDIS_PASSWORD=$(password)
AEGIS_AUTH_API_KEY_PEPPER=$(key)
AEGIS_AUTH_ENCRYPTION_KEYS=k1:$(key)
AEGIS_PII_HASH_KEY=$(key)
AEGIS_PII_TOKEN_KEYS=k1:$(key)
AEGIS_BILLING_ENCRYPTION_KEYS=k1:$(key)
# Optional: AEGIS_BILLING_SMTP_URL, LOG_LEVEL. See docs/deployment.md.
ENV
  echo "wrote $env_file"
fi

# One stable checkpoint signing key per service (docs/deployment.md, "Audit signing keys").
signing_variables=(AEGIS_AUTH_AUDIT_SIGNING_KEY AEGIS_POLICY_AUDIT_SIGNING_KEY AEGIS_RATELIMIT_AUDIT_SIGNING_KEY
  AEGIS_PII_AUDIT_SIGNING_KEY AEGIS_BILLING_AUDIT_SIGNING_KEY AEGIS_AUDIT_SINK_SIGNING_KEY)
for variable in "${signing_variables[@]}"; do
  if [[ -z "$(value "$variable")" ]]; then
    printf '%s=%s\n' "$variable" "$(signing_key)" >> "$env_file"
    echo "added $variable" >&2
  fi
done

# What the audit sink trusts: the public halves of those keys, plus whatever the line held
# before (a rotated-out key still verifies the checkpoints it signed; external producers).
trusted=()
for variable in "${signing_variables[@]}"; do trusted+=("$(public_key "$(value "$variable")")"); done
IFS=', ' read -r -a previous <<<"$(value AEGIS_AUDIT_PUBLIC_KEYS)"
for entry in "${previous[@]}"; do
  if [[ -n "$entry" && " ${trusted[*]} " != *" $entry "* ]]; then trusted+=("$entry"); fi
done
{
  grep -v '^AEGIS_AUDIT_PUBLIC_KEYS=' "$env_file" || true
  printf 'AEGIS_AUDIT_PUBLIC_KEYS=%s\n' "$(IFS=,; printf '%s' "${trusted[*]}")"
} > "$env_file.new"
mv "$env_file.new" "$env_file"
