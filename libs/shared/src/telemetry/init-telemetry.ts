import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface TelemetryOptions {
  /** `service.name` on every span: the service, or `aegis` when all run in one process. */
  serviceName: string;
  /**
   * OTLP/HTTP collector base URL (e.g. `http://otel-collector:4318`); `/v1/traces` is
   * appended as OTEL_EXPORTER_OTLP_ENDPOINT prescribes. Without it nothing is exported,
   * but trace context is still propagated, so a service without a collector does not
   * break the traces of the services around it.
   */
  otlpEndpoint?: string;
  /** More processors, e.g. a SimpleSpanProcessor over an InMemorySpanExporter in tests. */
  spanProcessors?: SpanProcessor[];
}

export interface Telemetry {
  /** Flushes spans still buffered, stops the provider and unregisters the globals. */
  shutdown(): Promise<void>;
}

let active: Telemetry | undefined;

/**
 * Installs tracing for the whole process: a NodeTracerProvider, the AsyncLocalStorage
 * context manager (so the active span follows async calls, and pino's log lines carry
 * its ids) and the W3C trace-context propagator, all as OpenTelemetry's globals.
 * Once per process: a second call throws, as it would silently replace the first.
 */
export function initTelemetry(opts: TelemetryOptions): Telemetry {
  if (active !== undefined) throw new Error('initTelemetry was already called in this process');
  const spanProcessors = [...(opts.spanProcessors ?? [])];
  if (opts.otlpEndpoint !== undefined) {
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(opts.otlpEndpoint) })));
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: opts.serviceName }),
    spanProcessors,
  });
  // Defaults of register(): AsyncLocalStorageContextManager, W3C trace-context + baggage.
  provider.register();
  const telemetry: Telemetry = {
    async shutdown() {
      await provider.shutdown();
      // Unregistering the globals lets a later initTelemetry (a restarted test harness) register again.
      trace.disable();
      propagation.disable();
      context.disable();
      if (active === telemetry) active = undefined;
    },
  };
  active = telemetry;
  return telemetry;
}

function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}
