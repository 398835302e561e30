import { Agent } from 'node:http';
import type { Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';

/** A client transport whose connections a bench reuses for every call, and closes at the end. */
export interface BenchTransport {
  /** `grpc` (binary, HTTP/2) or `connect-json` (JSON, HTTP/1.1). */
  readonly protocol: 'grpc' | 'connect-json';
  readonly transport: Transport;
  close(): void;
}

/**
 * gRPC as service-to-service callers use it: protobuf binary, every call a stream on
 * one HTTP/2 connection (held by our own session manager so the bench can close it).
 */
export function grpcTransport(baseUrl: string): BenchTransport {
  const sessionManager = new Http2SessionManager(baseUrl);
  return {
    protocol: 'grpc',
    transport: createGrpcTransport({ baseUrl, sessionManager }),
    close: () => sessionManager.abort(),
  };
}

/**
 * Connect with JSON bodies over HTTP/1.1, as curl, browsers and most SDK callers use it.
 * HTTP/1.1 carries one call at a time per connection, so the keep-alive agent opens as
 * many as the bench's concurrency and reuses them.
 */
export function connectJsonTransport(baseUrl: string): BenchTransport {
  const agent = new Agent({ keepAlive: true });
  return {
    protocol: 'connect-json',
    transport: createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: false, nodeOptions: { agent } }),
    close: () => agent.destroy(),
  };
}
