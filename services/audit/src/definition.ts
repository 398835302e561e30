import { fileURLToPath } from 'node:url';
import { TOPICS, type ServiceContext, type ServiceDefinition } from '@aegis/shared';
import { buildAuditSink } from './audit-module.js';

export const auditService: ServiceDefinition = {
  name: 'audit',
  defaultPort: 8086,
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  // Every RPC needs the permission its contract names (audit:read, audit:verify) in the
  // request's tenant, decided by policy.
  requirePermissions: true,
  // Nothing of the sink lives in Redis.
  redisRequired: false,
  async build(ctx: ServiceContext) {
    return buildAuditSink(ctx, { topic: TOPICS.audit });
  },
};
