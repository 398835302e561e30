export { AegisError, isAegisError, type AegisErrorOptions, type ErrorKind } from './aegis-error.js';
export {
  aborted,
  alreadyExists,
  deadlineExceeded,
  failedPrecondition,
  internal,
  invalidArgument,
  notFound,
  permissionDenied,
  resourceExhausted,
  unauthenticated,
  unavailable,
} from './constructors.js';
export { CODE_FOR_KIND, INTERNAL_ERROR_MESSAGE, toConnectError } from './connect-mapping.js';
export { errorMappingInterceptor } from './interceptor.js';
