import { type ConnectRouter, type ConnectRouterOptions, ConnectError, createConnectRouter } from '@connectrpc/connect';
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from '@connectrpc/connect-node';
import type { Logger } from '../logging/index.js';
import type { HttpRequest, HttpResponse } from './http-routes.js';

export interface RpcHandlerOptions extends ConnectRouterOptions {
  routes: (router: ConnectRouter) => void;
  logger: Logger;
}

// Whether the caller hung up before its response was written: then a write failure is
// the expected end of the call, not a fault.
function responseGone(res: HttpResponse): boolean {
  return 'stream' in res ? res.stream.destroyed : res.destroyed;
}

/**
 * `connectNodeAdapter`, with one difference: a response that cannot be delivered is
 * logged through the service's logger (debug when the client went away, warn otherwise)
 * instead of `console.error`, which would put unstructured lines into the JSON logs
 * each time a client cancels a stream. Routing and the 404 for unknown paths are as in
 * the adapter.
 */
export function createRpcHandler(opts: RpcHandlerOptions): (req: HttpRequest, res: HttpResponse) => void {
  const { routes, logger, ...routerOptions } = opts;
  const router = createConnectRouter({ acceptCompression: [compressionGzip, compressionBrotli], ...routerOptions });
  routes(router);
  const handlers = new Map(router.handlers.map((handler) => [handler.requestPath, handler]));

  return (req, res) => {
    const handler = handlers.get((req.url ?? '').split('?', 1)[0] ?? '');
    if (handler === undefined) {
      res.writeHead(404);
      res.end();
      return;
    }
    handler(universalRequestFromNodeRequest(req, res, undefined, undefined))
      .then((response) => universalResponseToNodeResponse(response, res))
      .catch((reason: unknown) => {
        const rpc = `${handler.service.typeName}/${handler.method.name}`;
        const err = ConnectError.from(reason);
        if (responseGone(res)) logger.debug({ rpc, err }, 'rpc: client went away before the response was written');
        else logger.warn({ rpc, err }, 'rpc: response could not be written');
      });
  };
}
