import { Counter, Gauge, type Registry } from 'prom-client';

/** The service's own metrics, on its server's registry (GET /metrics). */
export interface RatelimitMetrics {
  checks: Counter<'result'>;
  degraded: Gauge;
  degradedDecisions: Counter<'mode' | 'result'>;
  degradations: Counter;
}

export function createRatelimitMetrics(registry: Registry): RatelimitMetrics {
  return {
    checks: new Counter({ name: 'ratelimit_checks_total', help: 'Check answers, by result (allowed, denied).', labelNames: ['result'], registers: [registry] }),
    degraded: new Gauge({ name: 'ratelimit_degraded', help: '1 while Redis is unavailable and checks are answered by the fallback.', registers: [registry] }),
    degradedDecisions: new Counter({
      name: 'ratelimit_degraded_decisions_total',
      help: 'Checks answered while degraded, by failure mode (fail_open, fail_closed) and result.',
      labelNames: ['mode', 'result'],
      registers: [registry],
    }),
    degradations: new Counter({ name: 'ratelimit_degradations_total', help: 'Times Redis became unavailable to this instance.', registers: [registry] }),
  };
}
