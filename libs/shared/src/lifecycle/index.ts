export { installShutdown, type InstallShutdownOptions, type InstalledShutdown } from './install-shutdown.js';
export { runShutdown, type Drainable, type ShutdownPlan, type ShutdownResult, type ShutdownStep } from './shutdown.js';
