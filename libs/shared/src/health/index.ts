export {
  HealthRegistry,
  OVERALL,
  ServingStatus,
  type DependencyOptions,
  type DependencyProbe,
  type DependencyState,
  type HealthRegistryOptions,
} from './health-registry.js';
export { HealthService } from './health-service.js';
