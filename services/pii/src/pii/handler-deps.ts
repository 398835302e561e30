import type { HandlerContext } from '@connectrpc/connect';
import { requirePrincipal } from '@aegis/shared';
import type { KeyedHasher } from '@aegis/pii-engine';
import type { PiiAuditLog } from '../audit/pii-audit-log.js';
import type { DlpCache } from '../dlp/dlp-cache.js';
import type { TokenVault } from '../domain/tokenization/token-vault.js';
import type { ContentDetection } from './detection-service.js';

export interface PiiHandlerDeps {
  detection: ContentDetection;
  dlp: DlpCache;
  hasher: KeyedHasher;
  vault: TokenVault;
  audit: PiiAuditLog;
  /** Emit pii.detected for Scans with findings but no block or alert. */
  auditDetections: boolean;
}

/** The request's tenant, or the caller's own when the field is empty (the interceptor checked access). */
export function tenantOf(requested: string, ctx: HandlerContext): string {
  return requested !== '' ? requested : requirePrincipal(ctx).tenantId;
}
