import { PriceService } from '@aegis/proto/aegis/billing/v1/price_service_pb.js';
import { EstimationService } from '@aegis/proto/aegis/billing/v1/estimation_service_pb.js';
import { UsageService } from '@aegis/proto/aegis/billing/v1/usage_service_pb.js';
import { BudgetService } from '@aegis/proto/aegis/billing/v1/budget_service_pb.js';
import { ReservationService } from '@aegis/proto/aegis/billing/v1/reservation_service_pb.js';
import { CostAlertService } from '@aegis/proto/aegis/billing/v1/alert_service_pb.js';
import type { ServiceDefinition } from '@aegis/shared';

export const billingService: ServiceDefinition = {
  name: 'billing',
  defaultPort: 8085,
  async build() {
    return {
      routes(router) {
        // The contracts are served with the whole runtime (health, reflection, metrics, tracing,
        // error mapping) ahead of the billing issue; until it lands each RPC answers Unimplemented.
        for (const service of [PriceService, EstimationService, UsageService, BudgetService, ReservationService, CostAlertService]) router.service(service, {});
      },
    };
  },
};
