import type { BucketOwner } from '../../ports.js';

// Every key of one owner carries the same hash tag `{<tenant>:<key>}`, so its buckets and
// leases share a Redis Cluster slot. Redis takes the tag from the first "{" to the first "}"
// after it; both sit in the common part of the key, so even a key containing braces keeps
// its keys together. The buckets are one hash per owner (bucket-script.ts), so a check
// touches one key whatever its limits.

function tag(owner: BucketOwner): string {
  return `{${owner.tenantId}:${owner.key}}`;
}

export function bucketsKey(owner: BucketOwner): string {
  return `rlb:${tag(owner)}`;
}

export function leaseKeys(owner: BucketOwner): [expiries: string, holders: string] {
  return [`lease:${tag(owner)}:exp`, `lease:${tag(owner)}:holder`];
}
