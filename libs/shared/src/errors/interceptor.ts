import type { Interceptor, StreamResponse } from '@connectrpc/connect';
import type { Logger } from '../logging/index.js';
import { toConnectError } from './connect-mapping.js';

// A streaming handler fails while the caller iterates, long after `next(req)` returned,
// so the stream itself has to be wrapped for its errors to be mapped too.
async function* mapStreamErrors<T>(messages: AsyncIterable<T>, logger: () => Logger): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (err) {
    throw toConnectError(err, logger());
  }
}

/**
 * Maps every error a handler throws (unary, or mid-stream for streaming responses) with
 * `toConnectError`. Unknown errors are logged with the procedure name, so the log line
 * that explains an `internal error` can be found from the failing call.
 */
export function errorMappingInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    // Child loggers cost an allocation; only the failure path needs one.
    const rpcLogger = () => logger.child({ rpc: `${req.service.typeName}/${req.method.name}` });
    try {
      const res = await next(req);
      if (!res.stream) return res;
      const mapped: StreamResponse = { ...res, message: mapStreamErrors(res.message, rpcLogger) };
      return mapped;
    } catch (err) {
      throw toConnectError(err, rpcLogger());
    }
  };
}
