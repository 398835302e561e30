import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { type HealthRegistry, ServingStatus } from '../health/index.js';
import type { ServerMetrics } from '../metrics/index.js';

/** What the server hands a plain-HTTP route: HTTP/1.1 or HTTP/2 (h2c), like Connect's own handler. */
export type HttpRequest = IncomingMessage | Http2ServerRequest;
export type HttpResponse = ServerResponse | Http2ServerResponse;
export type HttpRoute = (req: HttpRequest, res: HttpResponse) => void;

export function send(res: HttpResponse, status: number, contentType: string, body: string): void {
  (res as ServerResponse).writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * `/healthz` answers while the process can serve at all (liveness: a restart would not
 * help otherwise); `/readyz` follows the gRPC health status, so HTTP-only probes and
 * load balancers see the same readiness as gRPC health clients.
 */
export function operationalRoutes(health: HealthRegistry, metrics: ServerMetrics): Record<string, HttpRoute> {
  return {
    '/healthz': (_req, res) => send(res, 200, 'text/plain; charset=utf-8', 'ok\n'),
    '/readyz': (_req, res) => {
      const serving = health.status() === ServingStatus.SERVING;
      send(res, serving ? 200 : 503, 'text/plain; charset=utf-8', serving ? 'SERVING\n' : 'NOT_SERVING\n');
    },
    '/metrics': (_req, res) => {
      metrics.render().then(
        ({ contentType, body }) => send(res, 200, contentType, body),
        () => send(res, 500, 'text/plain; charset=utf-8', 'metrics unavailable\n'),
      );
    },
  };
}

/** The route for a GET (or HEAD) request to one of `routes`' paths; anything else goes to Connect. */
export function matchRoute(routes: Record<string, HttpRoute>, req: HttpRequest): HttpRoute | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
  return Object.hasOwn(routes, path) ? routes[path] : undefined;
}
