// Tamper evidence for the audit stream (docs/events.md, "Tamper evidence"): per-tenant hash
// chains stamped at publish, Ed25519-signed checkpoints, and their verification.
export { auditEventHash, chainKey, ZERO_HASH, type ChainId } from './hash-chain.js';
export { AuditChains, CHECKPOINT_ACTION, type AuditChainOptions } from './audit-chains.js';
export { auditKeyId, checkpointSignatureValid, generateSigningKey, parseSigningKey, signCheckpoint, type AuditSigningKey } from './checkpoint-signature.js';
export { loadAuditSigningConfig, SIGNING_KEY_VARIABLE, type AuditSigningConfig } from './audit-signing-config.js';
export { parseTrustedKeys, type TrustedKeys } from './trusted-keys.js';
export { verifyAuditLog, type AuditIssue, type AuditIssueKind, type AuditRecord, type AuditVerifyReport, type ChainReport, type VerifyOptions } from './verify-audit-log.js';
// What a verifier outside the services (the aegis CLI) needs to read the topic, so that it can
// import this entry point (`@aegis/shared/audit-integrity`) without the whole runtime.
export { decodeEvent, eventFromJson, eventToJson, TOPICS } from '../envelope/index.js';
