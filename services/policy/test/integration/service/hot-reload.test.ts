// Two policy instances on one Postgres (auth, Redis and Kafka real too): a change written
// through one instance is served by the other within a second, while the other keeps answering
// every request (no errors, no answer flipping back once the change is seen).
import { randomBytes } from 'node:crypto';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { principal, realPolicyBackend, startPolicy, TENANT, type PolicyClients, type RunningPolicy } from './policy-service-harness.js';

const RELOAD_LIMIT_MS = 1_000;

let service: RunningPolicy;
let second: Awaited<ReturnType<RunningPolicy['startPolicyInstance']>>;
let other: PolicyClients;
const run = randomBytes(4).toString('hex');

beforeAll(async () => {
  service = await startPolicy({ backend: realPolicyBackend() });
  second = await service.startPolicyInstance();
  other = second.clients(service.adminKey);
}, 60_000);

afterAll(async () => {
  await service?.stop();
});

const checkOn = (clients: PolicyClients, roles: string[], kind: string, action: string) =>
  clients.decisions.check({ tenantId: TENANT, principal: principal(roles), action, resource: { kind } }).then((r) => r.decision!);

/** Calls `probe` back to back on `loops` parallel loops until `stop()`; records every answer and error. */
function keepAsking(probe: () => Promise<Effect>, loops = 2) {
  const answers: Array<{ at: number; effect: Effect }> = [];
  const errors: unknown[] = [];
  let running = true;
  const workers = Array.from({ length: loops }, async () => {
    while (running) {
      try {
        answers.push({ at: Date.now(), effect: await probe() });
      } catch (err) {
        errors.push(err);
      }
    }
  });
  return {
    answers,
    errors,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

test('a role created on one instance grants on the other within a second, without a failed request', async () => {
  const role = `reloaded_${run}`;
  expect((await checkOn(other, [role], 'report', 'export')).effect).toBe(Effect.DENY);
  const load = keepAsking(() => checkOn(other, [role], 'report', 'export').then((d) => d.effect));
  await new Promise((resolve) => setTimeout(resolve, 100));
  await service.admin.roles.createRole({ tenantId: TENANT, role: { name: role, permissions: ['report:export'] } });
  // Committed by now (the writer answers after its commit); the other instance's clock starts here.
  const writtenAt = Date.now();
  const deadline = Date.now() + 5_000;
  while (!load.answers.some((a) => a.at >= writtenAt && a.effect === Effect.ALLOW) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  await load.stop();

  expect(load.errors).toEqual([]);
  const firstAllow = load.answers.findIndex((a) => a.effect === Effect.ALLOW);
  expect(firstAllow).toBeGreaterThan(0);
  const firstAllowAfterWrite = load.answers.findIndex((a) => a.at >= writtenAt && a.effect === Effect.ALLOW);
  // Once seen, the change stays: no instance serves the old set after the new one.
  expect(load.answers.slice(firstAllow).every((a) => a.effect === Effect.ALLOW)).toBe(true);
  expect(load.answers[firstAllowAfterWrite]!.at - writtenAt).toBeLessThan(RELOAD_LIMIT_MS);
}, 60_000);

test('a deny policy and its removal reach the other instance', async () => {
  const name = `freeze_${run}`;
  expect((await checkOn(other, ['developer'], 'agent', 'create')).effect).toBe(Effect.ALLOW);
  const created = await service.admin.policies.createPolicy({
    tenantId: TENANT,
    policy: { name, condition: {} as never, actions: ['agent:create'], effect: Effect.DENY, enabled: true },
  });
  await expect(eventually(() => checkOn(other, ['developer'], 'agent', 'create'), (d) => d.effect === Effect.DENY && d.matchedPolicies.includes(name))).resolves.toBeLessThan(RELOAD_LIMIT_MS);
  await service.admin.policies.deletePolicy({ tenantId: TENANT, name, expectedVersion: created.policy!.lastChange!.version });
  await expect(eventually(() => checkOn(other, ['developer'], 'agent', 'create'), (d) => d.effect === Effect.ALLOW)).resolves.toBeLessThan(RELOAD_LIMIT_MS);
}, 60_000);

/** Milliseconds until `probe()` satisfies `done` (polling); throws after 5 s. */
async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < 5_000) {
    if (done(await probe())) return Date.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the other instance never served the change');
}
