// The hot-reload signal: every committed change to a limit set or override sends the row's
// identity on this channel from inside its transaction, so the signal exists if and only
// if the change does. Instances reload exactly that row.

export const CONFIG_CHANGED_CHANNEL = 'ratelimit_config_changed';

export type ConfigChange = { kind: 'limit_set'; tenantId: string; name: string } | { kind: 'override'; tenantId: string; key: string };

export function encodeConfigChange(change: ConfigChange): string {
  return JSON.stringify(change.kind === 'limit_set' ? ['s', change.tenantId, change.name] : ['o', change.tenantId, change.key]);
}

/** Undefined for a payload this service did not send. */
export function parseConfigChange(payload: string): ConfigChange | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || !parsed.every((part) => typeof part === 'string')) return undefined;
  const [kind, tenantId, id] = parsed as [string, string, string];
  if (kind === 's') return { kind: 'limit_set', tenantId, name: id };
  if (kind === 'o') return { kind: 'override', tenantId, key: id };
  return undefined;
}
