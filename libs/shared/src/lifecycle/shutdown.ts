import type { Logger } from '../logging/index.js';

/** Anything that drains within a grace period: a `ServiceServer`. */
export interface Drainable {
  shutdown(graceMs: number): Promise<void>;
}

export interface ShutdownStep {
  /** For logs: `kafka producer`, `postgres pool`. */
  name: string;
  run: () => Promise<void>;
  /** A step that has not finished after this long is reported failed and skipped. Default 5 s. */
  timeoutMs?: number;
}

export interface ShutdownPlan {
  logger: Logger;
  /** How long in-flight requests may take to finish once the servers stop accepting new ones. */
  graceMs: number;
  /** Drained together, first: nothing below is closed while a request could still need it. */
  servers?: readonly Drainable[];
  /** Run in order after the servers drained: flush producers, then close pools. */
  steps?: readonly ShutdownStep[];
}

export interface ShutdownResult {
  /** Names of the steps (or `servers`) that failed or timed out; empty when all went well. */
  failed: string[];
}

const DEFAULT_STEP_TIMEOUT_MS = 5_000;

/**
 * The shutdown sequence, without signals or exit, so tests and `npm start` (five servers
 * in one process) can run it directly: drain every server (health NOT_SERVING, listener
 * closed, in-flight requests finished within `graceMs`), then each close step in order,
 * each bounded and logged. A failing step does not stop the later ones: an unflushed
 * producer is no reason to leave a database pool open.
 */
export async function runShutdown(plan: ShutdownPlan): Promise<ShutdownResult> {
  const { logger } = plan;
  const failed: string[] = [];
  const servers = plan.servers ?? [];
  if (servers.length > 0) {
    // The server enforces the grace itself; the margin covers its final cancellation.
    const drained = await bounded('servers', plan.graceMs + 2_000, logger, () =>
      Promise.all(servers.map((server) => server.shutdown(plan.graceMs))).then(() => undefined),
    );
    if (!drained) failed.push('servers');
  }
  for (const step of plan.steps ?? []) {
    const ok = await bounded(step.name, step.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS, logger, step.run);
    if (!ok) failed.push(step.name);
  }
  if (failed.length === 0) logger.info('shutdown: complete');
  else logger.error({ failed }, 'shutdown: complete with failures');
  return { failed };
}

async function bounded(name: string, timeoutMs: number, logger: Logger, run: () => Promise<void>): Promise<boolean> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve().then(run), timeout]);
    logger.info({ step: name, ms: Date.now() - started }, 'shutdown: step done');
    return true;
  } catch (err) {
    logger.error({ step: name, ms: Date.now() - started, err }, 'shutdown: step failed');
    return false;
  } finally {
    clearTimeout(timer);
  }
}
