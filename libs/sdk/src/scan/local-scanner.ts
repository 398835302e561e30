import type { Client } from '@connectrpc/connect';
import { DlpService, type WatchDlpChangesResponse } from '@aegis/proto/aegis/pii/v1/dlp_service_pb.js';
import type { ScanResponse } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import { compileDlp, PII_ENGINE_VERSION, ruleFromMessage, settingsFromMessage, type Direction } from '@aegis/pii-engine';
import type { GuardContent } from '../guard/types.js';
import { WatchStream, watchMessageKind } from '../transport/watch-stream.js';
import { DlpSnapshots, type DlpSnapshotLimits, type LoadedDlp } from './dlp-snapshots.js';
import { scanLocally, type LocalScanResult } from './local-scan.js';

/** `localScan` of createAegisClients / createAegis. */
export interface LocalScanOptions extends Omit<DlpSnapshotLimits, 'now'> {
  /** First reconnect pause bound of the change stream (default 100 ms), doubling up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  /** Largest reconnect pause bound (default 10 s); pauses are random below the bound. */
  maxBackoffMs?: number;
  /** Pause after pii refused the stream (no dlp:watch, or an older pii; default 60 s). */
  refusedBackoffMs?: number;
  /**
   * Reports to pii in flight at most (default 64). Beyond it, content with findings waits for
   * pii's Scan as without the local scan: the audit keeps up, and so no backlog can grow.
   */
  maxReportsInFlight?: number;
}

export interface LocalScanStats {
  /** Whether the change stream is live (and so local scans possible). */
  live: boolean;
  /** Tenants whose DLP is held. */
  tenants: number;
  /** Scans answered here. */
  local: number;
  /** Scans left to pii (a block or alert, nothing held, stream down). */
  remote: number;
  /** Local answers with findings sent to pii afterwards for its audit, and those that failed. */
  reported: number;
  reportsFailed: number;
  /** Reports whose answer differed from the local one (allowed, or the number of findings). */
  reportsDiffering: number;
}

/**
 * PiiService.Scan answered in process: the tenant's DLP (config and rules, read with
 * DlpService.GetDlpSnapshot on first use, in the background) is compiled with the same engine
 * as pii's. Content in which it finds nothing, or only what LOG, MASK and REDACT rules without
 * alert handle, gets Scan's answer without a call on the guard's path; what was found is sent
 * to pii's Scan afterwards for its audit (report). A BLOCK or alerting rule leaves the answer
 * to pii, which records it before answering.
 * Used only while WatchDlpChanges is live (a tenant's DLP is dropped when the stream reports
 * a newer revision, everything when the stream is lost) and only with pii's engine version.
 */
export class LocalScanner {
  readonly #snapshots: DlpSnapshots;
  readonly #stream: WatchStream<WatchDlpChangesResponse>;
  #started = false;
  #local = 0;
  #remote = 0;
  #reported = 0;
  #reportsFailed = 0;
  #reportsDiffering = 0;
  readonly #reporting = new Set<Promise<void>>();
  readonly #maxReportsInFlight: number;

  constructor(dlp: Client<typeof DlpService>, opts: LocalScanOptions = {}) {
    this.#snapshots = new DlpSnapshots((tenantId) => loadDlp(dlp, tenantId), opts);
    this.#maxReportsInFlight = opts.maxReportsInFlight ?? 64;
    let scope: string | undefined;
    this.#stream = new WatchStream<WatchDlpChangesResponse>({
      // No deadline: the stream stays open; liveness comes from heartbeats.
      open: (signal) => dlp.watchDlpChanges({}, { signal, timeoutMs: 0 }),
      classify: (message) => {
        if (message.event.case === 'subscribed') scope = message.event.value.tenantId || undefined;
        return watchMessageKind(message.event);
      },
      onLive: () => this.#snapshots.open(scope),
      onEvent: (message) => {
        if (message.event.case === 'changed') this.#snapshots.changed(message.event.value.tenantId, message.event.value.revision);
      },
      onLost: () => this.#snapshots.close(),
      ...(opts.initialBackoffMs !== undefined ? { initialBackoffMs: opts.initialBackoffMs } : {}),
      ...(opts.maxBackoffMs !== undefined ? { maxBackoffMs: opts.maxBackoffMs } : {}),
      ...(opts.refusedBackoffMs !== undefined ? { refusedBackoffMs: opts.refusedBackoffMs } : {}),
    });
  }

  /** Scan's answer worked out here (see scanLocally); undefined when pii must be asked first. */
  scan(tenantId: string, content: GuardContent, direction: Direction): LocalScanResult | undefined {
    if (!this.#started) {
      this.#started = true;
      this.#stream.start();
    }
    const dlp = this.#stream.live ? this.#snapshots.get(tenantId) : undefined;
    let result = dlp === undefined ? undefined : scanLocally(dlp, content, direction);
    if (result?.report === true && this.#reporting.size >= this.#maxReportsInFlight) result = undefined;
    if (result === undefined) this.#remote += 1;
    else this.#local += 1;
    return result;
  }

  /**
   * Sends pii, after the guard has its answer, what a local scan found in: pii's Scan records
   * the detection in its audit as for any scan (its answer only confirms the local one, and a
   * difference is counted). Not awaited by the guard; close() waits for those in flight.
   */
  report(local: LocalScanResult, ask: () => Promise<Pick<ScanResponse, 'allowed' | 'findings'>>): void {
    const reporting = ask().then((res) => {
      this.#reported += 1;
      if (!res.allowed || res.findings.length !== local.summary.findings.length) {
        // pii saw rules this process did not have yet (a change within the stream's latency):
        // pii has recorded it (dlp.block_missed for a block); the platform's operators should know too.
        this.#reportsDiffering += 1;
        process.emitWarning(`@aegis/sdk: pii answered a scan the local scan had answered differently (${res.allowed ? `${res.findings.length} findings, ${local.summary.findings.length} here` : 'pii would have blocked it'}); pii's audit has the details`, 'AegisLocalScanWarning');
      }
    }, () => {
      this.#reportsFailed += 1;
    }).finally(() => this.#reporting.delete(reporting));
    this.#reporting.add(reporting);
  }

  stats(): LocalScanStats {
    return {
      live: this.#stream.live, tenants: this.#snapshots.size, local: this.#local, remote: this.#remote,
      reported: this.#reported, reportsFailed: this.#reportsFailed, reportsDiffering: this.#reportsDiffering,
    };
  }

  /** Ends the change stream (later scans go to pii) once the reports in flight are answered. */
  async close(): Promise<void> {
    this.#snapshots.close();
    await Promise.all([...this.#reporting]);
    await this.#stream.close();
  }
}

async function loadDlp(dlp: Client<typeof DlpService>, tenantId: string): Promise<LoadedDlp> {
  const res = await dlp.getDlpSnapshot({ tenantId });
  if (res.engineVersion !== PII_ENGINE_VERSION) return { ok: false, unusable: true };
  try {
    const dlpCompiled = compileDlp(settingsFromMessage(tenantId, res.config, ''), res.rules.map((r) => ruleFromMessage(tenantId, r, '')));
    return { ok: true, revision: res.revision, dlp: dlpCompiled };
  } catch {
    return { ok: false, unusable: true };
  }
}
