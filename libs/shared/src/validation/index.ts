export {
  requireLength,
  requireNonEmpty,
  requireOneOf,
  requirePattern,
  requirePresent,
  requireRange,
  requireTenantId,
  TENANT_ID_PATTERN,
} from './require.js';
