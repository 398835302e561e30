// The bench harness: load runs, interleaved comparisons, result files, tables, clients.
export { LatencyHistogram, type LatencySummary } from './latency-histogram.js';
export { runLoad, type LoadOptions, type LoadResult, type Operation } from './load-run.js';
export {
  compareInterleaved,
  spreadOf,
  summarizeRounds,
  type ComparisonOptions,
  type ComparisonResult,
  type Contender,
  type ContenderFigures,
  type RatioSpread,
  type Round,
  type RoundFigures,
} from './interleaved-comparison.js';
export { machineInfo, RESULTS_DIR, writeResult, type BenchResult, type MachineInfo } from './result-file.js';
export { figuresTable, formatTable, ratioTable, type LabelledComparison } from './report-table.js';
export { readSettings } from './bench-settings.js';
export { connectJsonTransport, grpcTransport, type BenchTransport } from './bench-transports.js';
export { ownCpuUsageUs, serveToParent, startChildServer, type ChildServer, type StartedServers } from './child-server.js';
export { expectServing, healthCheckContender } from './health-baseline.js';
