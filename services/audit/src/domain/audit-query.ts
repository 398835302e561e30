// A validated question to the audit trail (QueryAuditEvents, TailAuditEvents, VerifyAuditChain
// share it). Empty parts do not filter.

export interface AuditQuery {
  tenantId: string;
  /** Inclusive start of Event.time, microseconds since the epoch. */
  startUs?: bigint;
  /** Exclusive end. */
  endUs?: bigint;
  /** UserContext.user_id or Actor.user_id. */
  userId?: string;
  /** Actor.id. */
  actorId?: string;
  actions: readonly string[];
  /** aegis.events.v1.Outcome number. */
  outcome?: number;
  source?: string;
  /** At least this effective classification (aegis.common.v1.DataClassification number). */
  minClassification?: number;
}

/** Where a page ended: the keyset (time, position) to continue after. */
export interface PageCursor {
  timeUs: bigint;
  position: bigint;
}
