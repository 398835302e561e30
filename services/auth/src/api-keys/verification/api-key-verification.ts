import type { Logger } from '@aegis/shared';
import type { ApiKeyVerdict, ApiKeyVerifier } from '../domain/api-key-verifier.js';
import type { FailureThrottle, ThrottleCrossing } from './failure-throttle.js';
import type { LastUsedRecorder } from './last-used-recorder.js';
import type { VerificationMetrics } from './verification-metrics.js';

export type VerificationOutcome = ApiKeyVerdict | { valid: false; reason: 'throttled'; retryAfterMs: number };

export interface VerificationRequest {
  key: string;
  tenantId?: string;
  /** Who is asking (client address or gateway-chosen id); undefined when nobody said. */
  source: string | undefined;
}

/**
 * VerifyApiKey's hot path: throttle check (local, no I/O), verification (cached), then the
 * bookkeeping a verdict needs: last-used time in memory for a valid key, a failure count for
 * an invalid one. The first failure over the threshold is reported to `onThrottled` once per
 * block (across instances), which raises the audit event.
 */
export class ApiKeyVerification {
  constructor(
    private readonly verifier: ApiKeyVerifier,
    private readonly throttle: FailureThrottle,
    private readonly lastUsed: LastUsedRecorder,
    private readonly metrics: VerificationMetrics,
    private readonly logger: Logger,
    private readonly onThrottled: (source: string, crossing: ThrottleCrossing, tenantId: string | undefined) => void,
  ) {}

  async verify(req: VerificationRequest): Promise<VerificationOutcome> {
    if (req.source !== undefined) {
      const retryAfterMs = this.throttle.blockedFor(req.source);
      if (retryAfterMs > 0) {
        this.metrics.verdict('throttled');
        return { valid: false, reason: 'throttled', retryAfterMs };
      }
    }
    const verdict = await this.verifier.verify(req.key, req.tenantId);
    this.metrics.verdict(verdict.valid ? 'valid' : verdict.reason);
    if (verdict.valid) {
      this.lastUsed.record(verdict.key.id);
    } else if (req.source !== undefined) {
      await this.#countFailure(req.source, req.tenantId);
    }
    return verdict;
  }

  async #countFailure(source: string, tenantId: string | undefined): Promise<void> {
    try {
      const crossing = await this.throttle.recordFailure(source);
      if (crossing?.firstToBlock) this.onThrottled(source, crossing, tenantId);
    } catch (err) {
      // The verdict stands either way; only the counting is lost while the store is down.
      this.logger.warn({ err }, 'api keys: could not count a failed verification');
    }
  }
}
