import { Registry, collectDefaultMetrics } from 'prom-client';

let processRegistry: Registry | undefined;

/**
 * CPU, memory, event-loop lag and GC metrics describe the process, not a server, and
 * prom-client refuses to register them twice; several servers run in one process under
 * `npm start`, so they are collected once here and appended to every server's /metrics.
 */
export function processMetricsRegistry(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}
