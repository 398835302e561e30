import { Code, ConnectError, createClient, createRouterTransport, type ConnectRouter } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import {
  Health,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from '@aegis/proto/grpc/health/v1/health_pb.js';
import { errorMappingInterceptor, invalidArgument, resourceExhausted } from '../../../src/errors/index.js';
import { createLogger } from '../../../src/logging/index.js';

const LEAKY_MESSAGE = 'relation "api_keys" does not exist';

// A Health implementation whose every method fails the way real handlers do.
function failingHealth(router: ConnectRouter) {
  router.service(Health, {
    check(req) {
      if (req.service === 'bad-input') throw invalidArgument('service', 'must be a registered service name');
      if (req.service === 'busy') throw resourceExhausted('too many health checks', { retryAfterMs: 3_000 });
      throw new Error(LEAKY_MESSAGE);
    },
    list() {
      throw new ConnectError('already a ConnectError', Code.PermissionDenied);
    },
    async *watch() {
      yield create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING });
      throw new TypeError(LEAKY_MESSAGE);
    },
  });
}

function setup(withInterceptor = true) {
  const lines: string[] = [];
  const logger = createLogger({ service: 'test', destination: { write: (chunk: string) => void lines.push(chunk) } });
  const transport = createRouterTransport(failingHealth, {
    router: { interceptors: withInterceptor ? [errorMappingInterceptor(logger)] : [] },
  });
  const records = () => lines.join('').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, any>);
  return { client: createClient(Health, transport), records };
}

async function errorOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('expected the call to fail');
}

describe('errorMappingInterceptor', () => {
  test('baseline: without it, Connect flattens a domain error to Internal', async () => {
    const { client } = setup(false);
    const err = await errorOf(client.check({ service: 'bad-input' }));
    expect(err.code).toBe(Code.Internal);
  });

  test('an unknown error from a unary handler reaches the caller as Internal "internal error" and is logged with the procedure', async () => {
    const { client, records } = setup();
    const err = await errorOf(client.check({ service: 'x' }));
    expect(err.code).toBe(Code.Internal);
    expect(err.rawMessage).toBe('internal error');
    expect(err.message).not.toContain('api_keys');
    expect(err.details).toEqual([]);

    const [record] = records();
    expect(record).toMatchObject({ level: 50, rpc: 'grpc.health.v1.Health/Check', err: { message: LEAKY_MESSAGE } });
    expect(record!.err.stack).toContain(LEAKY_MESSAGE);
  });

  test('an AegisError reaches the caller with its code and message', async () => {
    const { client, records } = setup();
    const err = await errorOf(client.check({ service: 'bad-input' }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toBe('service: must be a registered service name');
    expect(records()).toHaveLength(0);
  });

  test('error metadata reaches the caller (retry-after)', async () => {
    const { client } = setup();
    const err = await errorOf(client.check({ service: 'busy' }));
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.metadata.get('retry-after')).toBe('3');
  });

  test('a ConnectError thrown by a handler passes through', async () => {
    const { client } = setup();
    const err = await errorOf(client.list({}));
    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.rawMessage).toBe('already a ConnectError');
  });

  test('an error thrown mid-stream is mapped after the messages already sent', async () => {
    const { client, records } = setup();
    const received: HealthCheckResponse_ServingStatus[] = [];
    const err = await errorOf(
      (async () => {
        for await (const res of client.watch({ service: '' })) received.push(res.status);
      })(),
    );
    expect(received).toEqual([HealthCheckResponse_ServingStatus.SERVING]);
    expect(err.code).toBe(Code.Internal);
    expect(err.rawMessage).toBe('internal error');
    expect(records()[0]).toMatchObject({ rpc: 'grpc.health.v1.Health/Watch', err: { type: 'TypeError' } });
  });
});
