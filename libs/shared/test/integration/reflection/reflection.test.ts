import { create, createFileRegistry, type FileRegistry, fromBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { type FileDescriptorProto, FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import {
  ServerReflection,
  type ServerReflectionRequestSchema,
  type ServerReflectionResponse,
} from '@aegis/proto/grpc/reflection/v1/reflection_pb.js';
import { ServerReflection as ServerReflectionV1alpha } from '@aegis/proto/grpc/reflection/v1alpha/reflection_pb.js';
import { grpcJsReflectionStream } from '@aegis/shared/testing';
import { type ProbeServer, startProbeServer } from '../server/fixtures/probe-server.js';



/**
 * What grpcurl does with the answers: link every file against the others by import name
 * (the requested file comes first, its imports after it). Throws when an import is missing.
 */
function linkAll(files: FileDescriptorProto[]): FileRegistry {
  const byName = new Map(files.map((file) => [file.name, file]));
  return createFileRegistry(...files.map((file) => createFileRegistry(file, (name) => byName.get(name))));
}

function decodeFiles(res: ServerReflectionResponse): FileDescriptorProto[] {
  if (res.messageResponse.case !== 'fileDescriptorResponse') throw new Error(`expected files, got ${res.messageResponse.case}`);
  return res.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
}

describe('gRPC server reflection', () => {
  let probe: ProbeServer;
  let address: string;

  beforeAll(async () => {
    probe = await startProbeServer();
    address = `127.0.0.1:${probe.port}`;
  });
  afterAll(() => probe.server.shutdown(1_000));

  test.each([
    ['v1', ServerReflection],
    ['v1alpha', ServerReflectionV1alpha],
  ] as const)('%s: `grpcurl list` then `grpcurl describe` of every service', async (_version, service) => {
    const stream = grpcJsReflectionStream(address, service);
    try {
      const listed = await stream.ask({ messageRequest: { case: 'listServices', value: '*' } });
      if (listed.messageResponse.case !== 'listServicesResponse') throw new Error('expected a service list');
      const names = listed.messageResponse.value.service.map((s) => s.name);
      expect(names).toEqual([
        'aegis.test.v1.ProbeService',
        'grpc.health.v1.Health',
        'grpc.reflection.v1.ServerReflection',
        'grpc.reflection.v1alpha.ServerReflection',
      ]);

      const received: FileDescriptorProto[] = [];
      for (const name of names) {
        const files = decodeFiles(await stream.ask({ messageRequest: { case: 'fileContainingSymbol', value: name } }));
        received.push(...files);
        const [pkg, serviceName] = [name.slice(0, name.lastIndexOf('.')), name.slice(name.lastIndexOf('.') + 1)];
        expect(files[0]?.package).toBe(pkg);
        const described = files[0]?.service.find((s) => s.name === serviceName);
        expect(described?.method.length).toBeGreaterThan(0);
      }
      const probeMethods = received.find((f) => f.name === 'aegis/test/v1/probe_service.proto')?.service[0]?.method.map((m) => m.name);
      expect(probeMethods).toEqual(['Echo', 'Sleep', 'Fail', 'Count']);

      // Every import arrived: a registry builds from what the stream returned, and resolves the types.
      const registry = linkAll(received);
      expect(registry.getMessage('aegis.test.v1.SleepRequest')?.fields[0]?.message?.typeName).toBe('google.protobuf.Duration');
      expect(registry.getService('grpc.health.v1.Health')?.methods.map((m) => m.name)).toEqual(['Check', 'List', 'Watch']);
      // ...and each file was sent once on this stream.
      expect(new Set(received.map((f) => f.name)).size).toBe(received.length);
    } finally {
      stream.close();
    }
  });

  test('a fresh stream gets a file with all its transitive imports', async () => {
    const stream = grpcJsReflectionStream(address, ServerReflection);
    try {
      const files = decodeFiles(await stream.ask({ messageRequest: { case: 'fileContainingSymbol', value: 'aegis.test.v1.ProbeService' } }));
      expect(files.map((f) => f.name)).toEqual([
        'aegis/test/v1/probe_service.proto',
        'google/protobuf/duration.proto',
        'google/protobuf/empty.proto',
      ]);
      expect(linkAll(files).getService('aegis.test.v1.ProbeService')?.methods).toHaveLength(4);
    } finally {
      stream.close();
    }
  });

  test('methods, nested enums, fields and well-known types are symbols; files are found by name', async () => {
    const stream = grpcJsReflectionStream(address, ServerReflection);
    try {
      for (const symbol of ['aegis.test.v1.ProbeService.Echo', 'aegis.test.v1.EchoRequest.Tone', 'aegis.test.v1.EchoRequest.text', '.aegis.test.v1.CountResponse']) {
        const files = decodeFiles(await stream.ask({ messageRequest: { case: 'fileContainingSymbol', value: symbol } }));
        expect(files[0]?.name).toBe('aegis/test/v1/probe_service.proto');
      }
      const timestamp = decodeFiles(await stream.ask({ messageRequest: { case: 'fileContainingSymbol', value: 'google.protobuf.Timestamp' } }));
      expect(timestamp[0]?.name).toBe('google/protobuf/timestamp.proto');
      const byName = decodeFiles(await stream.ask({ messageRequest: { case: 'fileByFilename', value: 'grpc/health/v1/health.proto' } }));
      expect(byName[0]?.service[0]?.name).toBe('Health');
    } finally {
      stream.close();
    }
  });

  test('unknown symbols and files are answered in-band with NOT_FOUND, and the stream stays usable', async () => {
    const stream = grpcJsReflectionStream(address, ServerReflection);
    try {
      for (const messageRequest of [
        { case: 'fileContainingSymbol', value: 'aegis.nope.v1.NopeService' },
        { case: 'fileByFilename', value: 'nope.proto' },
        { case: 'allExtensionNumbersOfType', value: 'aegis.nope.v1.Nope' },
        { case: 'fileContainingExtension', value: { containingType: 'aegis.test.v1.EchoRequest', extensionNumber: 100 } },
      ] as const) {
        const res = await stream.ask({ messageRequest });
        expect(res.messageResponse.case).toBe('errorResponse');
        expect(res.messageResponse.value).toMatchObject({ errorCode: 5 });
        expect(res.originalRequest?.messageRequest.case).toBe(messageRequest.case);
      }
      const numbers = await stream.ask({ messageRequest: { case: 'allExtensionNumbersOfType', value: 'aegis.test.v1.EchoRequest' } });
      expect(numbers.messageResponse).toMatchObject({
        case: 'allExtensionNumbersResponse',
        value: { baseTypeName: 'aegis.test.v1.EchoRequest', extensionNumber: [] },
      });
    } finally {
      stream.close();
    }
  });
});
