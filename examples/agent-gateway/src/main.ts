// The agent gateway as its own process: config -> gateway -> SIGTERM/SIGINT drain.
import { ConfigError, createLogger } from '@aegis/shared';
import { loadGatewayConfig } from './config.js';
import { startGateway } from './gateway.js';

let config;
try {
  config = loadGatewayConfig();
} catch (err) {
  process.stderr.write(`agent-gateway: ${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(2);
}
const logger = createLogger({ service: 'agent-gateway', level: config.logLevel });
const gateway = await startGateway({ config, logger });
process.stdout.write(`agent gateway: ${gateway.url}/agents/<agent id>/execute\n`);

let signalled = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    // A second signal: the operator does not want to wait.
    if (signalled) process.exit(1);
    signalled = true;
    logger.info({ signal }, 'shutdown: started');
    gateway.stop().then(() => process.exit(0), (err: unknown) => {
      logger.error({ err }, 'shutdown: failed');
      process.exit(1);
    });
  });
}
