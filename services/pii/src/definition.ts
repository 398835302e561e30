import { PiiService } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import { DlpService } from '@aegis/proto/aegis/pii/v1/dlp_service_pb.js';
import { InputValidationService } from '@aegis/proto/aegis/pii/v1/input_validation_service_pb.js';
import type { ServiceDefinition } from '@aegis/shared';

export const piiService: ServiceDefinition = {
  name: 'pii',
  defaultPort: 8084,
  async build() {
    return {
      routes(router) {
        // The contracts are served with the whole runtime (health, reflection, metrics, tracing,
        // error mapping) ahead of the pii issue; until it lands each RPC answers Unimplemented.
        for (const service of [PiiService, DlpService, InputValidationService]) router.service(service, {});
      },
    };
  },
};
