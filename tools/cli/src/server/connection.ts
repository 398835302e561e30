// Where each Aegis service is reached, and with which credential: one rule for every command.
//
// A service's base URL, first found wins:
//   --<service>-url, AEGIS_<SERVICE>_URL        that service only (the variables the services read too)
//   --url, AEGIS_URL                            every service: with a port, that one URL for all
//                                               (a gateway routing by RPC path); without a port,
//                                               each service at its default port on that host
//   http://127.0.0.1:<default port>             as `npm start` listens
// The credential: --api-key-file, else AEGIS_API_KEY. It is sent, never printed.

import { readFile } from 'node:fs/promises';

// `audit` is the audit sink (services/audit): it serves aegis.events.v1.AuditLogService.
export const SERVICES = ['auth', 'policy', 'ratelimit', 'pii', 'billing', 'audit'] as const;
export type ServiceName = (typeof SERVICES)[number];

export const DEFAULT_PORTS: Readonly<Record<ServiceName, number>> = { auth: 8081, policy: 8082, ratelimit: 8083, pii: 8084, billing: 8085, audit: 8086 };

export const API_KEY_VARIABLE = 'AEGIS_API_KEY';
export const URL_VARIABLE = 'AEGIS_URL';
export const TENANT_VARIABLE = 'AEGIS_TENANT';

export const urlFlag = (service: ServiceName): string => `${service}-url`;
export const urlVariable = (service: ServiceName): string => `AEGIS_${service.toUpperCase()}_URL`;

type Env = Readonly<Record<string, string | undefined>>;

const HTTP_URL = /^(https?):\/\/([^/?#\s]+)(\/[^?#\s]*)?$/i;

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** The base URL of `service`, or a problem naming the flag or variable that is wrong. */
export function serviceUrl(service: ServiceName, flags: Readonly<Record<string, unknown>>, env: Env): { url: string } | { problem: string } {
  const own = nonEmpty(flags[urlFlag(service)] as string | undefined);
  if (own !== undefined) return checked(own, `--${urlFlag(service)}`);
  const ownVar = nonEmpty(env[urlVariable(service)]);
  if (ownVar !== undefined) return checked(ownVar, urlVariable(service));
  const shared = nonEmpty(flags['url'] as string | undefined);
  const sharedVar = nonEmpty(env[URL_VARIABLE]);
  const common = shared ?? sharedVar;
  if (common === undefined) return { url: `http://127.0.0.1:${DEFAULT_PORTS[service]}` };
  const source = shared !== undefined ? '--url' : URL_VARIABLE;
  const base = checked(common, source);
  if ('problem' in base) return base;
  const match = HTTP_URL.exec(base.url)!;
  const authority = match[2]!;
  // A port (after the host, not inside an IPv6 literal) means "one address for all".
  if (/:\d+$/.test(authority)) return base;
  return { url: `${match[1]!.toLowerCase()}://${authority}:${DEFAULT_PORTS[service]}${match[3] ?? ''}` };
}

function checked(raw: string, source: string): { url: string } | { problem: string } {
  if (!HTTP_URL.test(raw)) return { problem: `${source} must be an http:// or https:// URL` };
  return { url: raw.replace(/\/+$/, '') };
}

/** The credential: --api-key-file, else AEGIS_API_KEY. Problems never quote the key. */
export async function readCredential(file: string | undefined, env: Env): Promise<{ key: string } | { problem: string }> {
  if (file !== undefined) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) return { problem: `--api-key-file: cannot read ${file}` };
    const key = text.trim();
    return key === '' ? { problem: `--api-key-file: ${file} is empty` } : { key };
  }
  const key = nonEmpty(env[API_KEY_VARIABLE]);
  if (key === undefined) return { problem: `no credential: set ${API_KEY_VARIABLE} or pass --api-key-file` };
  return { key };
}
