import { ConnectError, type Interceptor, type StreamResponse } from '@connectrpc/connect';
import { SpanKind, SpanStatusCode, context, propagation, trace, type Span, type TextMapSetter } from '@opentelemetry/api';

// The client half of @aegis/shared's tracing interceptors, written against @opentelemetry/api
// alone: importing @aegis/shared would pull the services' runtime (pg, ioredis, kafkajs) into
// every platform service that installs the SDK. Span names and attributes match the shared
// interceptor's, so client and server spans read alike. Without an OpenTelemetry SDK installed
// by the application, the API is a no-op and this costs next to nothing.

const TRACER_NAME = '@aegis/sdk';

const headerSetter: TextMapSetter<Headers> = {
  set: (headers, key, value) => headers.set(key, value),
};

function end(span: Span, err: unknown): void {
  if (err === undefined) {
    span.setAttribute('rpc.grpc.status_code', 0);
  } else {
    const code = ConnectError.from(err).code;
    span.setAttribute('rpc.grpc.status_code', code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(code) });
    if (err instanceof Error) span.recordException(err);
  }
  span.end();
}

async function* endsWith<T>(messages: AsyncIterable<T>, span: Span): AsyncIterable<T> {
  let failure: unknown;
  try {
    yield* messages;
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    end(span, failure);
  }
}

/**
 * Opens a CLIENT span `pkg.Service/Method` under the active context and sends the W3C
 * `traceparent`/`tracestate` headers, so the services continue the platform's trace.
 */
export function clientTracingInterceptor(rpcSystem: 'grpc' | 'connect_rpc'): Interceptor {
  return (next) => async (req) => {
    const span = trace.getTracer(TRACER_NAME).startSpan(`${req.service.typeName}/${req.method.name}`, {
      kind: SpanKind.CLIENT,
      attributes: { 'rpc.system': rpcSystem, 'rpc.service': req.service.typeName, 'rpc.method': req.method.name },
    });
    const ctx = trace.setSpan(context.active(), span);
    propagation.inject(ctx, req.header, headerSetter);
    let res;
    try {
      res = await context.with(ctx, () => next(req));
    } catch (err) {
      end(span, err);
      throw err;
    }
    if (!res.stream) {
      end(span, undefined);
      return res;
    }
    const streamed: StreamResponse = { ...res, message: endsWith(res.message, span) };
    return streamed;
  };
}
