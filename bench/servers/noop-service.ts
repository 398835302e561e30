import { create, createFileRegistry, type DescService } from '@bufbuild/protobuf';
import type { GenService } from '@bufbuild/protobuf/codegenv2';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import {
  file_grpc_health_v1_health,
  type HealthCheckResponse,
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '@aegis/proto/grpc/health/v1/health_pb.js';

/**
 * `aegis.bench.v1.NoopService/Noop`: the same messages as Health/Check, under a service
 * the runtime does trace (it leaves Health untraced so probes do not flood the traces).
 * Comparing it with Health/Check on the same server isolates what tracing costs every
 * real RPC. Built from a descriptor in code: a bench-only contract does not belong in
 * `proto/`, whose every file is a published API.
 */
const noopFile = create(FileDescriptorProtoSchema, {
  name: 'aegis/bench/v1/noop_service.proto',
  package: 'aegis.bench.v1',
  dependency: ['grpc/health/v1/health.proto'],
  syntax: 'proto3',
  service: [{
    name: 'NoopService',
    method: [{ name: 'Noop', inputType: '.grpc.health.v1.HealthCheckRequest', outputType: '.grpc.health.v1.HealthCheckResponse' }],
  }],
});

const registry = createFileRegistry(noopFile, (fileName) =>
  fileName === `${file_grpc_health_v1_health.name}.proto` ? file_grpc_health_v1_health : undefined,
);

const descriptor: DescService | undefined = registry.getService('aegis.bench.v1.NoopService');
if (descriptor === undefined) throw new Error('aegis.bench.v1.NoopService is missing from its own descriptor');

// The cast gives the descriptor the static shape generated code would have had.
export const NoopService = descriptor as GenService<{
  noop: { methodKind: 'unary'; input: typeof HealthCheckRequestSchema; output: typeof HealthCheckResponseSchema };
}>;

/** Answers at once, like Health/Check, so the two differ only in what the runtime does around them. */
export const noopImpl = {
  noop: (): HealthCheckResponse => create(HealthCheckResponseSchema, { status: ServingStatus.SERVING }),
};
