// BudgetService/CheckBudget over gRPC against Health/Check (the no-op RPC of every service
// bench) on the same billing server, in interleaved rounds. The billing server runs with auth
// and policy in this process on the embedded backends; the tenant has three budgets (tenant,
// user, key) with spend booked, and every call carries the bootstrap API key.
// Run: npx tsx bench/billing-check-budget.ts [--rounds=6 --round-ms=800 --concurrency=8]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { authService } from '@aegis/auth-service';
import { policyService } from '@aegis/policy-service';
import { BudgetPeriod } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import { BudgetService } from '@aegis/proto/aegis/billing/v1/budget_service_pb.js';
import { createLogger, startServices } from '@aegis/shared';
import { billingService } from '../services/billing/src/definition.js';
import { compareInterleaved, figuresTable, healthCheckContender, ratioTable, readSettings, writeResult } from './lib/index.js';

const settings = readSettings({ rounds: 6, roundMs: 800, warmupMs: 1_000, concurrency: 8 });
const dataDir = await mkdtemp(join(tmpdir(), 'aegis-billing-bench-'));
const running = await startServices([authService, policyService, billingService], {
  processName: 'billing-bench', telemetry: false, logger: createLogger({ service: 'billing-bench', level: 'warn' }),
  env: { AEGIS_DATA_DIR: dataDir, AEGIS_AUTH_PORT: '0', AEGIS_POLICY_PORT: '0', AEGIS_BILLING_PORT: '0' },
});
try {
  const key = running.services[0]!.banner.map((line) => /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/.exec(line)?.[1]).find((k) => k !== undefined)!;
  const url = running.services[2]!.url;
  const sessionManager = new Http2SessionManager(url);
  const transport = createGrpcTransport({
    baseUrl: url, sessionManager,
    interceptors: [(next) => (req) => {
      req.header.set('authorization', `Bearer ${key}`);
      return next(req);
    }],
  });
  const budgets = createClient(BudgetService, transport);
  const tenantId = 'bench-tenant';
  const usd = (amountNanos: bigint) => ({ currencyCode: 'USD', amountNanos });
  await budgets.createBudget({ tenantId, budget: { name: 'tenant month', amountLimit: usd(1_000_000_000_000n), period: BudgetPeriod.MONTH } });
  await budgets.createBudget({ tenantId, budget: { name: 'user day tokens', userId: 'u1', tokenLimit: 100_000n, period: BudgetPeriod.DAY } });
  await budgets.createBudget({ tenantId, budget: { name: 'key week', apiKeyId: 'k1', amountLimit: usd(50_000_000_000n), period: BudgetPeriod.WEEK } });
  const request = { tenantId, userId: 'u1', apiKeyId: 'k1', estimatedCost: usd(3_000_000n), estimatedTokens: 100n };
  const check = { name: 'CheckBudget (3 budgets)', call: async () => {
    const answer = await budgets.checkBudget(request);
    if (!answer.allowed || answer.statuses.length !== 3) throw new Error('unexpected CheckBudget answer');
  } };
  const comparison = await compareInterleaved(healthCheckContender(transport), check, settings);
  const labelled = [{ label: 'CheckBudget vs Health/Check, gRPC', comparison }];
  console.log(figuresTable(labelled));
  console.log(ratioTable(labelled));
  console.log(`wrote ${writeResult('billing-check-budget', { settings, comparison })}`);
  sessionManager.abort();
} finally {
  await running.stop();
  await rm(dataDir, { recursive: true, force: true });
}
