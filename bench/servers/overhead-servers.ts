import { createServer as createHttp1Server, type Server as Http1Server } from 'node:http';
import { createServer as createHttp2Server, type Http2Server, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { context } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { Health } from '@aegis/proto/grpc/health/v1/health_pb.js';
import { createLogger, createServiceServer, HealthRegistry, HealthService, initTelemetry, type Telemetry } from '@aegis/shared';
import { NoopService, noopImpl } from './noop-service.js';

const HOST = '127.0.0.1';

export interface OverheadServerUrls {
  /** `createServiceServer`: Health/Check (untraced) and NoopService/Noop (traced), every protocol on one port. */
  runtime: string;
  /** `connectNodeAdapter` with the same HealthService and no interceptors, cleartext HTTP/2 (gRPC). */
  bareHttp2: string;
  /** The same adapter on a plain HTTP/1.1 server (Connect JSON). */
  bareHttp1: string;
}

export interface OverheadServerOptions {
  /**
   * Install tracing as every service process does (recording spans, batched to an exporter
   * that discards them: export cost is the collector's side of the story, not measured).
   */
  telemetry: boolean;
}

/** Spans go nowhere, but are batched and handed over exactly as to the OTLP exporter. */
const discardingExporter: SpanExporter = {
  export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }),
  shutdown: () => Promise.resolve(),
};

/**
 * The runtime's server and a bare Connect adapter side by side, both answering Health/Check
 * from the same HealthService over the same (ready) registry: the figures then differ only
 * by what `createServiceServer` puts around a handler.
 */
export async function startOverheadServers(opts: OverheadServerOptions): Promise<{ info: OverheadServerUrls; stop(): Promise<void> }> {
  let telemetry: Telemetry | undefined;
  if (opts.telemetry) {
    telemetry = initTelemetry({ serviceName: 'bench', spanProcessors: [new BatchSpanProcessor(discardingExporter)] });
    // Node 20's AsyncLocalStorage turns its process-wide async hooks on at its first use,
    // which in a service is its first traced RPC: turned on now, so that every figure,
    // the bare server's included, is taken in the state a serving process is in.
    context.with(context.active(), () => undefined);
  }
  const logger = createLogger({ service: 'bench', level: 'warn' });
  const health = new HealthRegistry({ logger });

  const runtime = createServiceServer({
    service: 'bench',
    host: HOST,
    port: 0,
    logger,
    health,
    routes: (router) => router.service(NoopService, noopImpl),
  });
  const { url: runtimeUrl } = await runtime.listen();

  const bareHandler = connectNodeAdapter({ routes: (router) => router.service(Health, new HealthService(health)) });
  const bareHttp2 = await listenBare(createHttp2Server(bareHandler));
  const bareHttp1 = await listenBare(createHttp1Server(bareHandler));
  await health.markReady();

  return {
    info: { runtime: runtimeUrl, bareHttp2: bareHttp2.url, bareHttp1: bareHttp1.url },
    async stop() {
      await runtime.shutdown(1_000);
      await Promise.all([bareHttp2.close(), bareHttp1.close()]);
      await telemetry?.shutdown();
    },
  };
}

async function listenBare(server: Http1Server | Http2Server): Promise<{ url: string; close(): Promise<void> }> {
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    url: `http://${HOST}:${(server.address() as AddressInfo).port}`,
    // Open client connections would hold close() back; the bench is over, so they are cut.
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      if ('closeAllConnections' in server) server.closeAllConnections();
      for (const session of sessions) session.destroy();
    }),
  };
}
