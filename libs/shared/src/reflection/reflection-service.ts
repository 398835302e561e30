import { create, fromBinary, toBinary, type DescFile, type DescService } from '@bufbuild/protobuf';
import { Code, type ConnectRouter } from '@connectrpc/connect';
import {
  ErrorResponseSchema,
  ExtensionNumberResponseSchema,
  FileDescriptorResponseSchema,
  ListServiceResponseSchema,
  ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
  ServerReflectionResponseSchema,
} from '@aegis/proto/grpc/reflection/v1/reflection_pb.js';
import {
  ServerReflection as ServerReflectionV1alpha,
  type ServerReflectionRequest as ServerReflectionRequestV1alpha,
  ServerReflectionRequestSchema as ServerReflectionRequestV1alphaSchema,
  type ServerReflectionResponse as ServerReflectionResponseV1alpha,
  ServerReflectionResponseSchema as ServerReflectionResponseV1alphaSchema,
} from '@aegis/proto/grpc/reflection/v1alpha/reflection_pb.js';
import { DescriptorIndex } from './descriptor-index.js';

type MessageResponse = ServerReflectionResponse['messageResponse'];

/**
 * Registers `grpc.reflection.v1` and `v1alpha` (grpcurl tries v1, older tools only know
 * v1alpha). Call it after every other service is on `router`: it describes exactly the
 * services registered so far, plus both reflection services themselves.
 */
export function registerReflection(router: ConnectRouter): void {
  const served: DescService[] = router.handlers.map((handler) => handler.service);
  const index = new DescriptorIndex([...served, ServerReflection, ServerReflectionV1alpha]);
  router.service(ServerReflection, { serverReflectionInfo: (requests) => answerEach(index, requests) });
  router.service(ServerReflectionV1alpha, { serverReflectionInfo: (requests) => answerEachV1alpha(index, requests) });
}

async function* answerEach(
  index: DescriptorIndex,
  requests: AsyncIterable<ServerReflectionRequest>,
): AsyncIterable<ServerReflectionResponse> {
  // Per stream, like the client's own cache: imports already sent are not sent again.
  const sentFiles = new Set<string>();
  for await (const request of requests) {
    yield create(ServerReflectionResponseSchema, {
      validHost: request.host,
      originalRequest: request,
      messageResponse: answer(index, request, sentFiles),
    });
  }
}

// v1alpha and v1 are the same messages under another package, so they are the same
// bytes on the wire: converting through the binary form keeps one implementation.
async function* answerEachV1alpha(
  index: DescriptorIndex,
  requests: AsyncIterable<ServerReflectionRequestV1alpha>,
): AsyncIterable<ServerReflectionResponseV1alpha> {
  async function* asV1() {
    for await (const request of requests) {
      yield fromBinary(ServerReflectionRequestSchema, toBinary(ServerReflectionRequestV1alphaSchema, request));
    }
  }
  for await (const response of answerEach(index, asV1())) {
    yield fromBinary(ServerReflectionResponseV1alphaSchema, toBinary(ServerReflectionResponseSchema, response));
  }
}

function answer(index: DescriptorIndex, request: ServerReflectionRequest, sentFiles: Set<string>): MessageResponse {
  const query = request.messageRequest;
  switch (query.case) {
    case 'listServices': {
      const service = index.serviceNames().map((name) => ({ name }));
      return { case: 'listServicesResponse', value: create(ListServiceResponseSchema, { service }) };
    }
    case 'fileByFilename':
      return files(index, index.fileByName(query.value), sentFiles, `file "${query.value}"`);
    case 'fileContainingSymbol':
      return files(index, index.fileContainingSymbol(query.value), sentFiles, `symbol "${query.value}"`);
    case 'fileContainingExtension': {
      const { containingType, extensionNumber } = query.value;
      const file = index.fileContainingExtension(containingType, extensionNumber);
      return files(index, file, sentFiles, `extension ${extensionNumber} of "${containingType}"`);
    }
    case 'allExtensionNumbersOfType': {
      const extensionNumber = index.extensionNumbersOf(query.value);
      if (extensionNumber === undefined) return notFound(`type "${query.value}"`);
      const value = create(ExtensionNumberResponseSchema, { baseTypeName: query.value, extensionNumber });
      return { case: 'allExtensionNumbersResponse', value };
    }
    case undefined:
      return failure(Code.InvalidArgument, 'empty reflection request');
  }
}

function files(index: DescriptorIndex, file: DescFile | undefined, sentFiles: Set<string>, what: string): MessageResponse {
  if (file === undefined) return notFound(what);
  const fileDescriptorProto = index.encodeWithDependencies(file, sentFiles);
  return { case: 'fileDescriptorResponse', value: create(FileDescriptorResponseSchema, { fileDescriptorProto }) };
}

function notFound(what: string): MessageResponse {
  return failure(Code.NotFound, `${what} not found`);
}

// Reflection reports failures in-band, with gRPC status codes, and keeps the stream open.
function failure(code: Code, errorMessage: string): MessageResponse {
  return { case: 'errorResponse', value: create(ErrorResponseSchema, { errorCode: code, errorMessage }) };
}
