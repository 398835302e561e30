// The policy store as its integration tests run it: migrated on a fresh Postgres database
// or on an in-memory PGlite engine, with helpers to build roles and policies.

import { fileURLToPath } from 'node:url';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { Effect, PolicySchema, type Policy } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { ResourceLimitsSchema, RoleSchema, type Role } from '@aegis/proto/aegis/policy/v1/role_pb.js';
import { createLogger, migrate } from '@aegis/shared';
import { createTestDatabase, createTestPglite, type TestDatabase } from '@aegis/shared/testing';

export const migrationsDir = fileURLToPath(new URL('../../../migrations', import.meta.url));

export interface StoreBackend {
  name: string;
  kind: 'postgres' | 'pglite';
  /** A fresh, migrated database scoped to the policy schema. */
  open(): Promise<TestDatabase>;
}

// The reconnect test kills listener connections on purpose: their warnings are expected noise.
const logger = createLogger({ service: 'policy-store-test-db', level: 'error' });

export const backends: StoreBackend[] = [
  { name: 'PGlite', kind: 'pglite', open: () => migrated(createTestPglite({ schema: 'policy', logger })) },
  { name: 'Postgres', kind: 'postgres', open: () => migrated(createTestDatabase({ schema: 'policy', logger })) },
];

async function migrated(opening: Promise<TestDatabase>): Promise<TestDatabase> {
  const db = await opening;
  await migrate(db, { migrationsDir });
  return db;
}

/** A custom role in the Kaizen style, with every kind of field filled so a round trip can lose something. */
export function analystRole(name: string, extra: Omit<MessageInitShape<typeof RoleSchema>, '$typeName'> = {}): Role {
  return create(RoleSchema, {
    name,
    description: 'Runs analyses on approved models',
    permissions: ['agent:read', 'agent:execute', 'data:read'],
    modelAccess: ['gpt-4o', 'claude-3-5-sonnet'],
    resourceLimits: create(ResourceLimitsSchema, {
      maxTokensPerDay: 100_000n,
      maxConcurrentAgents: 3n,
      maxExecutionTime: durationFromMs(90_500),
      custom: { max_files: 12n },
    }),
    inherits: [],
    ...extra,
  });
}

export function piiPolicy(name: string, extra: Omit<MessageInitShape<typeof PolicySchema>, '$typeName'> = {}): Policy {
  return create(PolicySchema, {
    name,
    description: 'PII needs confidential clearance',
    condition: { 'data.contains_pii': true, 'user.clearance_level': { $lt: 'confidential' }, 'request.ip': { $in: ['10.0.0.1', null] } },
    actions: ['data:read', 'export'],
    effect: Effect.DENY,
    enabled: true,
    ...extra,
  });
}

/** Polls `check` until it holds or `timeoutMs` passes; returns the elapsed milliseconds. */
export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return performance.now() - started;
}
