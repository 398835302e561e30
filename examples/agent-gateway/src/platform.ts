import type { AegisServiceName } from '@aegis/sdk';
import { createLogger, type EnvSource, type RunningServices } from '@aegis/shared';
import { loadGatewayConfig } from './config.js';
import { startGateway, type RunningGateway } from './gateway.js';
import { ensureGatewayServiceKey } from './service-key.js';

// The gateway inside `npm start`: beside the services, on their URLs and their event bus.

const BOOTSTRAP_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;
const GUARDED: readonly AegisServiceName[] = ['auth', 'policy', 'ratelimit', 'pii', 'billing'];

export interface PlatformGateway {
  /** Undefined when the gateway could not get a credential; `lines` say why. */
  gateway: RunningGateway | undefined;
  /** For the start banner. */
  lines: string[];
}

export async function startPlatformGateway(running: RunningServices, env: EnvSource = process.env): Promise<PlatformGateway> {
  const byName = new Map(running.services.map((s) => [s.name, s]));
  const urls = Object.fromEntries(GUARDED.map((name) => {
    const service = byName.get(name);
    if (service === undefined) throw new Error(`the agent gateway needs the ${name} service`);
    return [name, service.url];
  })) as Record<AegisServiceName, string>;
  const dataDir = byName.get('auth')!.config.dataDir;
  const adminKey = byName.get('auth')!.banner.map((line) => BOOTSTRAP_KEY.exec(line)?.[1]).find((k) => k !== undefined);

  let apiKey = env['AEGIS_GATEWAY_API_KEY']?.trim() || undefined;
  let created = false;
  if (apiKey === undefined) {
    const ensured = await ensureGatewayServiceKey({ urls, dataDir, tenantId: env['AEGIS_AUTH_BOOTSTRAP_TENANT']?.trim() || 'default', adminKey });
    if (ensured.key === undefined) return { gateway: undefined, lines: [`agent gateway not started: ${ensured.problem}`] };
    apiKey = ensured.key;
    created = ensured.created;
  }
  const config = loadGatewayConfig({
    ...env,
    AEGIS_DATA_DIR: dataDir,
    AEGIS_GATEWAY_API_KEY: apiKey,
    AEGIS_AUTH_URL: urls.auth, AEGIS_POLICY_URL: urls.policy, AEGIS_RATELIMIT_URL: urls.ratelimit, AEGIS_PII_URL: urls.pii, AEGIS_BILLING_URL: urls.billing,
  });
  const logger = createLogger({ service: 'agent-gateway', level: config.logLevel });
  const gateway = await startGateway({ config, logger, events: running.events, env });
  return {
    gateway,
    lines: [
      `Agent gateway (examples/agent-gateway): POST ${gateway.url}/agents/<agent id>/execute`,
      created
        ? `  it calls Aegis with its own key (role agent_gateway), kept in ${dataDir}/agent-gateway/service-key`
        : '  it calls Aegis with its own key (role agent_gateway)',
    ],
  };
}
