import type { Interceptor, StreamResponse } from '@connectrpc/connect';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { observeStream } from '../server/stream-end.js';
import { processMetricsRegistry } from './process-metrics.js';
import { rpcCodeLabel } from './rpc-code.js';

// From a cached permission check (well under a millisecond) to a slow Postgres write.
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const LABELS = ['service', 'method', 'code'] as const;

export interface DependencyHealthSource {
  dependencies(): ReadonlyArray<{ name: string; required: boolean; healthy: boolean | undefined }>;
}

export interface ServerMetrics {
  /** This server's registry: services register their own metrics here (`registers: [metrics.registry]`). */
  readonly registry: Registry;
  /** Records `rpc_server_requests_total` and `rpc_server_duration_seconds` for every call. */
  readonly interceptor: Interceptor;
  /** Exposes `health_dependency_up` from the health registry's last probe results. */
  observeDependencies(source: DependencyHealthSource): void;
  /** The Prometheus text exposition of this server plus the process metrics. */
  render(): Promise<{ contentType: string; body: string }>;
}

/**
 * One registry per server rather than prom-client's global one: five services share a
 * process under `npm start`, and each must expose only its own RPC metrics.
 */
export function createServerMetrics(): ServerMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'rpc_server_requests_total',
    help: 'RPCs completed by this server, by service, method and Connect code.',
    labelNames: LABELS,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'rpc_server_duration_seconds',
    help: 'Time from receiving an RPC to its last response message, by service, method and Connect code.',
    labelNames: LABELS,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });

  const interceptor: Interceptor = (next) => async (req) => {
    const started = process.hrtime.bigint();
    const record = (err: unknown) => {
      const labels = { service: req.service.typeName, method: req.method.name, code: rpcCodeLabel(err) };
      requests.inc(labels);
      duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    };
    let res;
    try {
      res = await next(req);
    } catch (err) {
      record(err);
      throw err;
    }
    if (!res.stream) {
      record(undefined);
      return res;
    }
    const observed: StreamResponse = { ...res, message: observeStream(res.message, { onEnd: record, signal: req.signal }) };
    return observed;
  };

  return {
    registry,
    interceptor,
    observeDependencies(source) {
      new Gauge({
        name: 'health_dependency_up',
        help: '1 when the last probe of a dependency succeeded, 0 when it failed or has not run yet.',
        labelNames: ['dependency', 'required'] as const,
        registers: [registry],
        // Read at scrape time, so the value is never staler than the last probe.
        collect() {
          this.reset();
          for (const dep of source.dependencies()) {
            this.set({ dependency: dep.name, required: String(dep.required) }, dep.healthy === true ? 1 : 0);
          }
        },
      });
    },
    async render() {
      const [own, processWide] = await Promise.all([registry.metrics(), processMetricsRegistry().metrics()]);
      return { contentType: registry.contentType, body: `${own}\n${processWide}` };
    },
  };
}
