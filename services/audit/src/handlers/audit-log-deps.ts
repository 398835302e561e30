import type { Logger } from '@aegis/shared';
import type { TrustedKeys } from '@aegis/shared/audit-integrity';
import type { AuditStore } from '../adapters/postgres/audit-store.js';
import type { StoredFeed } from '../adapters/postgres/stored-feed.js';

export interface AuditLogDeps {
  store: AuditStore;
  feed: StoredFeed;
  /** Checkpoint keys VerifyAuditChain trusts. */
  trustedKeys: TrustedKeys;
  verifyMaxRecords: number;
  tailPollMs: number;
  logger: Logger;
}
