import { create } from '@bufbuild/protobuf';
import { createClient, type Transport } from '@connectrpc/connect';
import {
  Health,
  type HealthCheckResponse,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '@aegis/proto/grpc/health/v1/health_pb.js';
import type { Contender } from './interleaved-comparison.js';

const CHECK_OVERALL = create(HealthCheckRequestSchema, { service: '' });

/**
 * `grpc.health.v1.Health/Check` on the server behind `transport`: the no-op baseline of
 * every Aegis bench. It goes through the same listener, protocol handling, metrics and
 * error mapping as any RPC of that server and does no work of its own, so "my RPC /
 * Health/Check on the same server" is what the RPC itself costs. (Health is not traced;
 * `docs/benchmarks.md` gives the tracing share measured by `runtime-overhead`.)
 */
export function healthCheckContender(transport: Transport, name = 'Health/Check'): Contender {
  const client = createClient(Health, transport);
  return { name, call: () => expectServing(client.check(CHECK_OVERALL)) };
}

/**
 * Resolves when the response says SERVING: a server answering NOT_SERVING would be
 * measured as fast as a ready one, and a bench must not report that as a result.
 */
export async function expectServing(response: Promise<HealthCheckResponse>): Promise<void> {
  const { status } = await response;
  if (status !== ServingStatus.SERVING) throw new Error(`expected SERVING, got ${ServingStatus[status]}`);
}
