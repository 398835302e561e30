export { initTelemetry, type Telemetry, type TelemetryOptions } from './init-telemetry.js';
export {
  clientTracingInterceptor,
  serverTracingInterceptor,
  type ClientTracingOptions,
  type ServerTracingOptions,
} from './tracing-interceptors.js';
