import { fileURLToPath } from 'node:url';
import { TOPICS, type ServiceContext, type ServiceDefinition } from '@aegis/shared';
import { buildBilling } from './billing-module.js';

export const billingService: ServiceDefinition = {
  name: 'billing',
  defaultPort: 8085,
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  // Every RPC needs the permission its contract names (price:*, usage:*, budget:*, alert:*) in the
  // request's tenant, decided by policy: this covers authorisation, so the handlers carry no
  // InterimAuthorizer of their own.
  requirePermissions: true,
  async build(ctx: ServiceContext) {
    return buildBilling(ctx, { usageTopic: TOPICS.usage });
  },
};
