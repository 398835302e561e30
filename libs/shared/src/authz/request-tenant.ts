import { ScalarType, type DescMessage, type DescMethod } from '@bufbuild/protobuf';

// Tenant RPCs carry the tenant they act in as `string tenant_id` in the request
// (docs/contracts.md). Found once per method from the descriptor, not per call.
const tenantField = new WeakMap<DescMethod, string | null>();

function tenantFieldOf(input: DescMessage): string | null {
  const field = input.fields.find((f) => f.name === 'tenant_id' && f.fieldKind === 'scalar' && f.scalar === ScalarType.STRING && f.oneof === undefined);
  return field?.localName ?? null;
}

/**
 * The tenant a request message names in its `tenant_id` field; undefined when the request has
 * no such field or leaves it empty (the caller's own tenant; handlers validate the field).
 */
export function requestTenant(method: DescMethod, message: unknown): string | undefined {
  let local = tenantField.get(method);
  if (local === undefined) {
    local = tenantFieldOf(method.input);
    tenantField.set(method, local);
  }
  if (local === null || typeof message !== 'object' || message === null) return undefined;
  const value = (message as Record<string, unknown>)[local];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
