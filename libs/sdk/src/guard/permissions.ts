// What the platform service's own key must be allowed: the permission of each RPC the guard
// calls (docs/contracts.md lists every RPC's permission). Give the key a role with exactly
// these, never `*`: a leaked platform credential then cannot administer anything.
export const GUARD_PERMISSIONS: readonly string[] = Object.freeze([
  'decision:check', 'ratelimit:check', 'lease:acquire', 'budget:reserve', 'price:read', 'usage:record', 'pii:detect',
  // auth's WatchCredentialEvents, which keeps the guard's verification cache honest.
  'credential:watch',
  // pii's WatchDlpChanges and GetDlpSnapshot, which let the guard scan clean content locally.
  'dlp:watch',
]);
