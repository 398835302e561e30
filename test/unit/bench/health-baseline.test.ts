import { create } from '@bufbuild/protobuf';
import { createRouterTransport } from '@connectrpc/connect';
import {
  Health,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '@aegis/proto/grpc/health/v1/health_pb.js';
import { healthCheckContender } from '../../../bench/lib/health-baseline.js';

function healthAnswering(status: ServingStatus) {
  const asked: string[] = [];
  const transport = createRouterTransport((router) =>
    router.service(Health, {
      check(req) {
        asked.push(req.service);
        return create(HealthCheckResponseSchema, { status });
      },
    }),
  );
  return { asked, transport };
}

describe('healthCheckContender', () => {
  it('checks the overall status of the server', async () => {
    const { asked, transport } = healthAnswering(ServingStatus.SERVING);
    const contender = healthCheckContender(transport, 'runtime Health/Check');
    await contender.call();
    expect(contender.name).toBe('runtime Health/Check');
    expect(asked).toEqual(['']);
  });

  it('fails a call whose server is not serving, so it is never measured as a result', async () => {
    const { transport } = healthAnswering(ServingStatus.NOT_SERVING);
    await expect(healthCheckContender(transport).call()).rejects.toThrow('expected SERVING, got NOT_SERVING');
  });
});
