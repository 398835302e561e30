import { RateLimitService } from '@aegis/proto/aegis/ratelimit/v1/rate_limit_service_pb.js';
import { LeaseService } from '@aegis/proto/aegis/ratelimit/v1/lease_service_pb.js';
import { LimitConfigService } from '@aegis/proto/aegis/ratelimit/v1/limit_config_service_pb.js';
import type { ServiceDefinition } from '@aegis/shared';

export const ratelimitService: ServiceDefinition = {
  name: 'ratelimit',
  defaultPort: 8083,
  async build() {
    return {
      routes(router) {
        // The contracts are served with the whole runtime (health, reflection, metrics, tracing,
        // error mapping) ahead of the ratelimit issue; until it lands each RPC answers Unimplemented.
        for (const service of [RateLimitService, LeaseService, LimitConfigService]) router.service(service, {});
      },
    };
  },
};
