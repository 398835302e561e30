import { create, createFileRegistry, fromBinary } from '@bufbuild/protobuf';
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema,
  file_google_protobuf_descriptor,
} from '@bufbuild/protobuf/wkt';
import { Health } from '@aegis/proto/grpc/health/v1/health_pb.js';
import { DescriptorIndex } from '../../../src/reflection/index.js';

// A contract that extends a well-known type, as custom options do.
const labelled = create(FileDescriptorProtoSchema, {
  name: 'aegis/test/v1/labelled.proto',
  package: 'aegis.test.v1',
  syntax: 'proto3',
  dependency: ['google/protobuf/descriptor.proto'],
  messageType: [{ name: 'Ping' }],
  extension: [
    { name: 'label', number: 50001, type: Type.STRING, label: Label.OPTIONAL, extendee: '.google.protobuf.MessageOptions', jsonName: 'label' },
  ],
  service: [{ name: 'LabelledService', method: [{ name: 'Ping', inputType: '.aegis.test.v1.Ping', outputType: '.aegis.test.v1.Ping' }] }],
});
const registry = createFileRegistry(labelled, (name) => (name === file_google_protobuf_descriptor.proto.name ? file_google_protobuf_descriptor : undefined));
const LabelledService = registry.getService('aegis.test.v1.LabelledService')!;

describe('DescriptorIndex', () => {
  const index = new DescriptorIndex([LabelledService, Health, Health]);

  test('lists each service once, sorted', () => {
    expect(index.serviceNames()).toEqual(['aegis.test.v1.LabelledService', 'grpc.health.v1.Health']);
  });

  test('finds extensions by extendee and number, and by name', () => {
    expect(index.extensionNumbersOf('google.protobuf.MessageOptions')).toEqual([50001]);
    expect(index.extensionNumbersOf('aegis.test.v1.Ping')).toEqual([]);
    expect(index.extensionNumbersOf('aegis.test.v1.Nope')).toBeUndefined();
    expect(index.fileContainingExtension('google.protobuf.MessageOptions', 50001)?.proto.name).toBe('aegis/test/v1/labelled.proto');
    expect(index.fileContainingSymbol('aegis.test.v1.label')?.proto.name).toBe('aegis/test/v1/labelled.proto');
  });

  test('encodes a file with its imports once per stream, the requested file always first', () => {
    const sent = new Set<string>();
    const first = index.encodeWithDependencies(index.fileByName('aegis/test/v1/labelled.proto')!, sent);
    expect(first.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name)).toEqual([
      'aegis/test/v1/labelled.proto',
      'google/protobuf/descriptor.proto',
    ]);
    const again = index.encodeWithDependencies(index.fileByName('aegis/test/v1/labelled.proto')!, sent);
    expect(again).toHaveLength(1);
  });

  test('knows the well-known types even when no served contract imports them', () => {
    expect(index.fileContainingSymbol('google.protobuf.Struct')?.proto.name).toBe('google/protobuf/struct.proto');
    expect(index.fileByName('google/protobuf/any.proto')).toBeDefined();
  });
});
