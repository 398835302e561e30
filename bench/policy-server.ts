// The server of the policy gRPC benches, run in a child process (startChildServer): the real
// auth and policy services in one process on the embedded backends (PGlite, embedded event
// log), traced as services are (spans recorded and dropped). Policy verifies API keys through
// auth's VerifyApiKey, as every service but auth does (cached ≤ 1 s, so about one call to auth
// per second of load). Policy also serves `aegis.bench.v1.NoopService/Noop`, which has no access
// option: it requires a credential like every RPC, so it goes through the same authentication,
// tracing, metrics and error mapping as Check and is the no-op baseline "on the same server".
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { createLogger, initTelemetry, type ServiceDefinition, startServices } from '@aegis/shared';
import { authService } from '../services/auth/src/definition.js';
import { policyService } from '../services/policy/src/definition.js';
import { serveToParent } from './lib/index.js';
import { AUDIT_ALLOW_SAMPLE_RATE } from './policy-grpc.js';
import { NoopService, noopImpl } from './servers/noop-service.js';

export interface PolicyServerInfo {
  /** The policy service (DecisionService, RoleService, NoopService, Health). */
  url: string;
  /** The bootstrap admin API key of the fresh auth database, as printed in auth's banner. */
  key: string;
}

const KEY_PATTERN = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;

/** The policy service exactly as defined, plus the no-op RPC. */
const policyWithNoop: ServiceDefinition = {
  ...policyService,
  async build(ctx) {
    const parts = await policyService.build(ctx);
    return {
      ...parts,
      routes(router) {
        parts.routes(router);
        router.service(NoopService, noopImpl);
      },
    };
  },
};

serveToParent(async () => {
  const discarding: SpanExporter = { export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }), shutdown: () => Promise.resolve() };
  const telemetry = initTelemetry({ serviceName: 'bench-policy', spanProcessors: [new BatchSpanProcessor(discarding)] });
  // AsyncLocalStorage hooks on from the start, as in a process that has served a traced RPC.
  context.with(context.active(), () => undefined);
  const dataDir = await mkdtemp(join(tmpdir(), 'aegis-bench-policy-'));
  const running = await startServices([authService, policyWithNoop], {
    processName: 'bench-policy',
    telemetry: false,
    env: { AEGIS_DATA_DIR: dataDir, AEGIS_AUTH_PORT: '0', AEGIS_POLICY_PORT: '0', AEGIS_POLICY_AUDIT_ALLOW_SAMPLE_RATE: String(AUDIT_ALLOW_SAMPLE_RATE), LOG_LEVEL: 'warn' },
    logger: createLogger({ service: 'bench-policy', level: 'warn' }),
  });
  const [auth, policy] = running.services;
  const key = auth!.banner.map((line) => KEY_PATTERN.exec(line)?.[1]).find((k) => k !== undefined);
  if (key === undefined) throw new Error('the fresh auth service printed no bootstrap key');
  return {
    info: { url: policy!.url, key },
    async stop() {
      await running.stop();
      await telemetry.shutdown();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
