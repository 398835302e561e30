export { createServerMetrics, type ServerMetrics, type DependencyHealthSource } from './server-metrics.js';
export { processMetricsRegistry } from './process-metrics.js';
export { rpcCodeLabel } from './rpc-code.js';
