import { Code, ConnectError, type Interceptor, type StreamResponse } from '@connectrpc/connect';
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import { STREAM_CANCELLED, observeStream } from '../server/stream-end.js';

const TRACER_NAME = '@aegis/shared';

const headerGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

const headerSetter: TextMapSetter<Headers> = {
  set: (headers, key, value) => headers.set(key, value),
};

// Codes that are the server's fault; the others (NotFound, PermissionDenied, ...) are a
// correct answer to a bad request and would only bury real failures if marked as errors.
const SERVER_FAULTS = new Set([
  Code.Unknown,
  Code.DeadlineExceeded,
  Code.Unimplemented,
  Code.Internal,
  Code.Unavailable,
  Code.DataLoss,
]);

type Side = 'server' | 'client';

type RpcSystem = 'grpc' | 'connect_rpc';

interface CallShape {
  service: { typeName: string };
  method: { name: string };
}

function rpcAttributes(req: CallShape, system: RpcSystem): Attributes {
  return { 'rpc.system': system, 'rpc.service': req.service.typeName, 'rpc.method': req.method.name };
}

// gRPC and gRPC-Web both announce themselves in the content type; everything else is Connect.
function systemOfRequest(header: Headers): RpcSystem {
  return header.get('content-type')?.startsWith('application/grpc') === true ? 'grpc' : 'connect_rpc';
}

function finish(span: Span, side: Side, err: unknown): void {
  if (err === undefined) {
    span.setAttribute('rpc.grpc.status_code', 0); // OK
    span.end();
    return;
  }
  const code = err === STREAM_CANCELLED ? Code.Canceled : ConnectError.from(err).code;
  span.setAttribute('rpc.grpc.status_code', code);
  if (side === 'client' || SERVER_FAULTS.has(code)) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: Code[code] });
    if (err instanceof Error) span.recordException(err);
  }
  span.end();
}

/**
 * Runs `next(req)` inside `span`'s context and ends the span when the call is over:
 * when the unary call settles, or when a response stream ends, whose pulls also run in
 * that context (streaming handlers execute while the adapter iterates them).
 */
function traced(span: Span, side: Side, ctx: Context): Interceptor {
  return (next) => async (req) => {
    let res;
    try {
      res = await context.with(ctx, () => next(req));
    } catch (err) {
      finish(span, side, err);
      throw err;
    }
    if (!res.stream) {
      finish(span, side, undefined);
      return res;
    }
    const message = observeStream(res.message, {
      onEnd: (err) => finish(span, side, err),
      signal: req.signal,
      step: (pull) => context.with(ctx, pull),
    });
    const observed: StreamResponse = { ...res, message };
    return observed;
  };
}

export interface ServerTracingOptions {
  /** Fully-qualified services not to trace, e.g. `grpc.health.v1.Health` (a probe every few seconds is noise). */
  untracedServices?: readonly string[];
}

/** Continues the caller's trace (W3C `traceparent`/`tracestate`) in a SERVER span named `pkg.Service/Method`. */
export function serverTracingInterceptor(opts: ServerTracingOptions = {}): Interceptor {
  const untraced = new Set(opts.untracedServices ?? []);
  return (next) => async (req) => {
    if (untraced.has(req.service.typeName)) return next(req);
    const parent = propagation.extract(ROOT_CONTEXT, req.header, headerGetter);
    const span = trace.getTracer(TRACER_NAME).startSpan(
      `${req.service.typeName}/${req.method.name}`,
      { kind: SpanKind.SERVER, attributes: rpcAttributes(req, systemOfRequest(req.header)) },
      parent,
    );
    return traced(span, 'server', trace.setSpan(parent, span))(next)(req);
  };
}

export interface ClientTracingOptions {
  /** The transport's protocol, for `rpc.system` (a client interceptor runs before the transport sets any header). */
  rpcSystem?: RpcSystem;
}

/** Opens a CLIENT span for an outgoing call and sends its context in the request headers. */
export function clientTracingInterceptor(opts: ClientTracingOptions = {}): Interceptor {
  const system = opts.rpcSystem ?? 'connect_rpc';
  return (next) => async (req) => {
    const parent = context.active();
    const span = trace.getTracer(TRACER_NAME).startSpan(
      `${req.service.typeName}/${req.method.name}`,
      { kind: SpanKind.CLIENT, attributes: rpcAttributes(req, system) },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    propagation.inject(ctx, req.header, headerSetter);
    return traced(span, 'client', ctx)(next)(req);
  };
}
