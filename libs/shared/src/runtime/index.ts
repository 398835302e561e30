export type { ServiceContext, ServiceDefinition, ServiceParts } from './service-definition.js';
export { groupDecisionPoint, startService, type StartedService, type StartServiceOptions } from './start-service.js';
export { printBanners, runServices, startServices, type RunningServices, type RunServicesOptions } from './run-services.js';
export { EventPublisher, STANDARD_TOPICS } from './event-publisher.js';
