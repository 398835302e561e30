import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import {
  type Health,
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthListResponseSchema,
} from '@aegis/proto/grpc/health/v1/health_pb.js';
import { type HealthRegistry, ServingStatus } from './health-registry.js';

/** `grpc.health.v1.Health` over a `HealthRegistry`: what kubelet's gRPC probe and grpc_health_probe call. */
export class HealthService implements ServiceImpl<typeof Health> {
  constructor(private readonly registry: HealthRegistry) {}

  check(req: HealthCheckRequest): HealthCheckResponse {
    const status = this.registry.status(req.service);
    if (status === undefined) throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
    return create(HealthCheckResponseSchema, { status });
  }

  list() {
    const statuses: Record<string, HealthCheckResponse> = {};
    for (const service of this.registry.services()) {
      statuses[service] = create(HealthCheckResponseSchema, { status: this.registry.status(service) });
    }
    return create(HealthListResponseSchema, { statuses });
  }

  async *watch(req: HealthCheckRequest, ctx: HandlerContext): AsyncIterable<HealthCheckResponse> {
    for await (const status of statusChanges(this.registry, req.service, ctx.signal)) {
      yield create(HealthCheckResponseSchema, { status });
    }
  }
}

/**
 * The current status, then every change. An unknown service is SERVICE_UNKNOWN and the
 * stream stays open, as the protocol asks (the service may be registered later). When
 * the server drains, the final NOT_SERVING is sent and the stream ends, so watchers
 * reconnect to another replica instead of holding this one open until the grace expires.
 */
async function* statusChanges(registry: HealthRegistry, service: string, signal: AbortSignal): AsyncIterable<ServingStatus> {
  let wake = () => {};
  const unsubscribe = registry.onChange(() => wake());
  // Unsubscribing here too: a generator abandoned at a yield never reaches its finally.
  const onAbort = () => {
    unsubscribe();
    wake();
  };
  signal.addEventListener('abort', onAbort);
  try {
    let sent: ServingStatus | undefined;
    while (!signal.aborted) {
      // Armed before reading the status, so a change while the consumer is slow is not lost.
      const changed = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const status = registry.status(service) ?? ServingStatus.SERVICE_UNKNOWN;
      if (status !== sent) {
        sent = status;
        yield status;
      }
      if (registry.draining) return;
      await changed;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
}
