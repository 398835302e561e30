import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { REDACTED, secretRedactionPaths } from './redaction.js';

export type Logger = PinoLogger;

export interface LoggerOptions {
  /** Service name, written on every line so logs from `npm start` (all services in one process) stay separable. */
  service: string;
  /** pino level name; defaults to `info`. */
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream that collects lines. */
  destination?: DestinationStream;
}

/**
 * Trace correlation: every line written while a span is active carries its ids, so a log
 * line can be joined to its trace in the backend without passing ids around by hand.
 */
function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const context = span.spanContext();
  if (!isSpanContextValid(context)) return {};
  return { trace_id: context.traceId, span_id: context.spanId };
}

/**
 * The one logger factory for Aegis: JSON lines, ISO timestamps, `{service}` as the only
 * base field (pid and hostname come from the orchestrator's metadata instead), trace ids
 * from the active span, and secret-bearing fields censored before serialisation.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const options = {
    level: opts.level ?? 'info',
    base: { service: opts.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: traceFields,
    redact: { paths: secretRedactionPaths(), censor: REDACTED },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
