export { ConfigError, type ConfigIssue } from './config-error.js';
export { loadOrCreateDevSecret, type DevSecretFile } from './dev-secret-file.js';
export { env, LOG_LEVELS, type LogLevel } from './env-builders.js';
export { loadConfig, looksSecret, type EnvSource } from './load-config.js';
export {
  PER_SERVICE_VARIABLES,
  runtimeConfigFor,
  runtimeEnvSchema,
  serviceVariable,
  type RuntimeConfig,
} from './runtime-config.js';
