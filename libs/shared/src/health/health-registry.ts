import { HealthCheckResponse_ServingStatus as ServingStatus } from '@aegis/proto/grpc/health/v1/health_pb.js';
import type { Logger } from '../logging/index.js';

export { ServingStatus };

/** Resolves when the dependency answers, rejects (or hangs past the timeout) when it does not. */
export type DependencyProbe = () => Promise<void>;

export interface DependencyOptions {
  /**
   * A required dependency that fails flips the server to NOT_SERVING, so traffic goes to
   * replicas that can answer. A degradable one (`required: false`, e.g. a cache with a
   * fallback) is only reported: taking the replica out would not help anyone.
   */
  required?: boolean;
}

export interface DependencyState {
  readonly name: string;
  readonly required: boolean;
  /** `undefined` until the first probe has finished. */
  readonly healthy: boolean | undefined;
}

export interface HealthRegistryOptions {
  logger: Logger;
  /** How often dependencies are probed once ready. Default 5 s. */
  pollIntervalMs?: number;
  /** A probe that has not answered after this long counts as failed. Default 2 s. */
  probeTimeoutMs?: number;
}

type Phase = 'starting' | 'ready' | 'draining';

interface Dependency extends DependencyState {
  readonly probe: DependencyProbe;
  healthy: boolean | undefined;
}

/** The overall server, in the gRPC health protocol's spelling. */
export const OVERALL = '';

/**
 * What the server tells orchestrators and load balancers about itself, for the whole
 * server ("") and for each service it serves. All services of a server share its
 * dependencies, so they share one status: SERVING only after `markReady()`, before
 * `markDraining()`, and while every required dependency answers its probe.
 */
export class HealthRegistry {
  readonly #logger: Logger;
  readonly #pollIntervalMs: number;
  readonly #probeTimeoutMs: number;
  readonly #services = new Set<string>([OVERALL]);
  readonly #dependencies = new Map<string, Dependency>();
  readonly #listeners = new Set<() => void>();
  #phase: Phase = 'starting';
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;

  constructor(opts: HealthRegistryOptions) {
    this.#logger = opts.logger;
    this.#pollIntervalMs = opts.pollIntervalMs ?? 5_000;
    this.#probeTimeoutMs = opts.probeTimeoutMs ?? 2_000;
  }

  /** Makes a fully-qualified service name (e.g. `aegis.auth.v1.ApiKeyService`) known to Check, List and Watch. */
  addService(name: string): void {
    if (this.#services.has(name)) return;
    this.#services.add(name);
    this.#notify();
  }

  addDependency(name: string, probe: DependencyProbe, opts: DependencyOptions = {}): void {
    if (this.#dependencies.has(name)) throw new Error(`health dependency "${name}" is already registered`);
    this.#dependencies.set(name, { name, probe, required: opts.required ?? true, healthy: undefined });
    // A dependency added after start-up would otherwise count as failing until the next poll.
    if (this.#phase === 'ready') void this.refresh();
  }

  /** Probes every dependency once, then reports SERVING (if they answer) and keeps polling. */
  async markReady(): Promise<void> {
    if (this.#phase !== 'starting') return;
    await this.refresh();
    if (this.#phase !== 'starting') return; // drained while the first probes ran
    this.#phase = 'ready';
    this.#timer = setInterval(() => void this.refresh(), this.#pollIntervalMs);
    // Polling must not be what keeps a process alive after its server closed.
    this.#timer.unref();
    this.#logger.info({ status: ServingStatus[this.#overall()] }, 'health: ready');
    this.#notify();
  }

  /** NOT_SERVING from now on, for good: the server is shutting down. Ends all Watch streams. */
  markDraining(): void {
    if (this.#phase === 'draining') return;
    this.#phase = 'draining';
    clearInterval(this.#timer);
    this.#logger.info('health: draining');
    this.#notify();
  }

  get draining(): boolean {
    return this.#phase === 'draining';
  }

  /** The status of a service, or `undefined` for a service this server does not serve. */
  status(service: string = OVERALL): ServingStatus | undefined {
    if (!this.#services.has(service)) return undefined;
    return this.#overall();
  }

  services(): string[] {
    return [...this.#services];
  }

  dependencies(): DependencyState[] {
    return [...this.#dependencies.values()].map(({ name, required, healthy }) => ({ name, required, healthy }));
  }

  /** Probes all dependencies now; concurrent callers share one round of probes. */
  refresh(): Promise<void> {
    this.#round ??= this.#probeAll().finally(() => {
      this.#round = undefined;
    });
    return this.#round;
  }

  /** Calls `listener` after anything that may have changed a status; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #overall(): ServingStatus {
    return this.#serving() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  }

  #serving(): boolean {
    if (this.#phase !== 'ready') return false;
    for (const dep of this.#dependencies.values()) {
      if (dep.required && dep.healthy !== true) return false;
    }
    return true;
  }

  async #probeAll(): Promise<void> {
    const before = this.#serving();
    await Promise.all([...this.#dependencies.values()].map((dep) => this.#probe(dep)));
    if (this.#serving() !== before) {
      this.#logger.info({ status: ServingStatus[this.#overall()] }, 'health: status changed');
      this.#notify();
    }
  }

  async #probe(dep: Dependency): Promise<void> {
    let failure: unknown;
    try {
      await withTimeout(dep.probe(), this.#probeTimeoutMs, `probe timed out after ${this.#probeTimeoutMs} ms`);
    } catch (err) {
      failure = err;
    }
    const healthy = failure === undefined;
    if (healthy === dep.healthy) return;
    const firstResult = dep.healthy === undefined;
    dep.healthy = healthy;
    if (!healthy) {
      // Only the message: a driver's error object can carry the connection options.
      const reason = failure instanceof Error ? failure.message : String(failure);
      this.#logger.warn({ dependency: dep.name, required: dep.required, reason }, 'health: dependency failing');
    } else if (!firstResult) {
      this.#logger.info({ dependency: dep.name, required: dep.required }, 'health: dependency recovered');
    }
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}

async function withTimeout(work: Promise<void>, ms: number, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
