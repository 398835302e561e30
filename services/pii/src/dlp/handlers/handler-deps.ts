import { invalidArgument } from '@aegis/shared';
import { DlpValidationError } from '@aegis/pii-engine';
import type { PiiAuditLog } from '../../audit/pii-audit-log.js';
import type { DlpStore } from '../ports.js';

export interface DlpHandlerDeps {
  store: DlpStore;
  audit: PiiAuditLog;
}

/** Runs domain validation, turning its errors into InvalidArgument naming the field. */
export function validated<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DlpValidationError) throw invalidArgument(err.field, err.message);
    throw err;
  }
}
