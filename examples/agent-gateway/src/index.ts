// The gateway as a library: its configuration, start and credential (`./platform` runs it inside `npm start`).
export { loadGatewayConfig, type GatewayConfig } from './config.js';
export { startGateway, type GatewayOptions, type RunningGateway } from './gateway.js';
export { ensureGatewayServiceKey, GATEWAY_PERMISSIONS } from './service-key.js';
