import { setMaxListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Code, ConnectError, type ConnectRouter, type Interceptor } from '@connectrpc/connect';
import { Health } from '@aegis/proto/grpc/health/v1/health_pb.js';
import { errorMappingInterceptor } from '../errors/index.js';
import { type HealthRegistry, HealthService } from '../health/index.js';
import type { Logger } from '../logging/index.js';
import { createServerMetrics, type ServerMetrics } from '../metrics/index.js';
import { registerReflection } from '../reflection/index.js';
import { serverTracingInterceptor } from '../telemetry/index.js';
import { ConnectionTracker } from './connection-tracker.js';
import { stampClientAddress } from './client-address.js';
import { createH2cListener } from './h2c-listener.js';
import { createRpcHandler } from './rpc-handler.js';
import { type HttpRequest, type HttpResponse, type HttpRoute, matchRoute, operationalRoutes } from './http-routes.js';

// Well above any Aegis request (a policy bundle is the largest), far below what would
// let one caller exhaust memory: Connect refuses larger messages with resource_exhausted.
const DEFAULT_READ_MAX_BYTES = 4 * 1024 * 1024;

// After the grace period, handlers get this long to react to their aborted signal
// (and answer `unavailable`) before their connections are cut.
const CANCEL_GRACE_MS = 500;

export interface ServiceServerOptions {
  /** The Aegis service (`auth`, `policy`, ...), for logs. */
  service: string;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  logger: Logger;
  /** Registers the service's own RPCs; Health and reflection are added by the server. */
  routes: (router: ConnectRouter) => void;
  health: HealthRegistry;
  /** Created here when omitted; pass one to register service metrics on `metrics.registry`. */
  metrics?: ServerMetrics;
  /** Innermost interceptors (authentication, permissions), after tracing, metrics and error mapping. */
  interceptors?: Interceptor[];
  /** Extra plain-HTTP GET routes by exact path, e.g. `/.well-known/jwks.json`. */
  httpRoutes?: Record<string, HttpRoute>;
  readMaxBytes?: number;
  /** Peers whose `X-Forwarded-For` is believed (ingress, gateway): see client-address.ts. */
  trustedProxies?: readonly string[];
}

export interface ServiceServer {
  /** Starts listening; resolves with the bound address (the real port when 0 was asked). */
  listen(): Promise<{ host: string; port: number; url: string }>;
  /**
   * Drains: health NOT_SERVING, listener closed, new requests on open connections
   * refused, in-flight requests given `graceMs` to finish, then cancelled and cut.
   */
  shutdown(graceMs: number): Promise<void>;
  /** Requests currently being served (plain HTTP routes included). */
  readonly inFlight: number;
}

/**
 * The one way an Aegis service serves: Connect (JSON and binary), gRPC and gRPC-Web on a
 * single h2c port (HTTP/1.1 for curl and browsers, HTTP/2 prior knowledge for gRPC), with
 * gRPC health, reflection, /metrics, /healthz, /readyz and tracing on every RPC.
 */
export function createServiceServer(opts: ServiceServerOptions): ServiceServer {
  const { health, logger } = opts;
  const metrics = opts.metrics ?? createServerMetrics();
  metrics.observeDependencies(health);
  const shutdownController = new AbortController();
  // Connect adds one abort listener per in-flight request (removed when it ends): not a leak.
  setMaxListeners(0, shutdownController.signal);

  const rpcHandler = createRpcHandler({
    logger,
    routes(router) {
      opts.routes(router);
      router.service(Health, new HealthService(health));
      registerReflection(router);
      for (const handler of router.handlers) health.addService(handler.service.typeName);
    },
    connect: true,
    grpc: true,
    grpcWeb: true,
    readMaxBytes: opts.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
    shutdownSignal: shutdownController.signal,
    // Outermost first. Tracing wraps everything so the span covers the whole call and its
    // context is active in every layer below (log lines get the trace id). Metrics sit
    // outside error mapping so they count the code the caller actually receives. Error
    // mapping sits outside the caller's interceptors so that an auth interceptor's own
    // failures are sanitised like a handler's.
    interceptors: [
      serverTracingInterceptor({ untracedServices: [Health.typeName] }),
      metrics.interceptor,
      errorMappingInterceptor(logger),
      ...(opts.interceptors ?? []),
    ],
  });

  const operational = operationalRoutes(health, metrics);
  for (const path of Object.keys(opts.httpRoutes ?? {})) {
    // Probes and scrapers must get the server's answer, whatever a service adds.
    if (Object.hasOwn(operational, path)) throw new Error(`httpRoutes: ${path} is served by the server itself`);
  }
  const routes = { ...operational, ...opts.httpRoutes };
  const tracker = new ConnectionTracker();
  const trustedProxies = new Set(opts.trustedProxies ?? []);
  const h2c = createH2cListener((req: HttpRequest, res: HttpResponse) => {
    tracker.track(req, res);
    stampClientAddress(req, trustedProxies);
    const route = matchRoute(routes, req);
    if (route !== undefined) route(req, res);
    else rpcHandler(req, res);
  });
  tracker.attach(h2c);
  const server = h2c.listener;

  let stopping: Promise<void> | undefined;

  async function drain(graceMs: number): Promise<void> {
    health.markDraining();
    const closed = server.listening
      ? new Promise<void>((resolve) => server.close(() => resolve()))
      : Promise.resolve();
    tracker.beginDrain();
    logger.info({ inFlight: tracker.inFlight, graceMs }, 'server: draining');
    if (!(await tracker.waitIdle(graceMs))) {
      logger.warn({ inFlight: tracker.inFlight }, 'server: grace period over, cancelling in-flight requests');
      shutdownController.abort(new ConnectError('server is shutting down', Code.Unavailable));
      await tracker.waitIdle(CANCEL_GRACE_MS);
    }
    tracker.destroyAll();
    await closed;
    logger.info('server: stopped');
  }

  return {
    listen() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port, opts.host, () => {
          server.off('error', reject);
          const { port } = server.address() as AddressInfo;
          const urlHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
          const url = `http://${urlHost}:${port}`;
          logger.info({ server: opts.service, url }, 'server: listening');
          resolve({ host: opts.host, port, url });
        });
      });
    },
    shutdown(graceMs) {
      stopping ??= drain(graceMs);
      return stopping;
    },
    get inFlight() {
      return tracker.inFlight;
    },
  };
}
