import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Code, ConnectError } from '@connectrpc/connect';
import { createAegisClients, GUARD_PERMISSIONS, type AegisServiceName } from '@aegis/sdk';

// The gateway's own credential for `npm start`.
//
// Why not reuse the bootstrap admin key: it holds `*` in the platform tenant, so a gateway
// bug (or a leaked gateway environment) would be a full platform compromise, and revoking it
// would lock the operator out too. The gateway gets a role with exactly the permissions the
// guard's calls need (docs/contracts.md), on a user and key of its own that can be revoked
// and rotated alone. The bootstrap key is only printed on the first start, so that is when
// the key is made; it is kept in the data directory (owner-only) for later starts, which is
// the same single-host arrangement as the services' development secrets.

/** What a platform service calling guard needs, nothing more. */
export const GATEWAY_PERMISSIONS: readonly string[] = GUARD_PERMISSIONS;

const ROLE = 'agent_gateway';
const KEY_NAME = 'agent-gateway';

export interface ServiceKeyOptions {
  urls: Record<AegisServiceName, string>;
  /** `<AEGIS_DATA_DIR>`: the key is kept in `agent-gateway/service-key` under it. */
  dataDir: string;
  /** The platform (bootstrap) tenant. */
  tenantId: string;
  /** The bootstrap admin key when this start printed one; undefined otherwise. */
  adminKey: string | undefined;
}

export type ServiceKeyResult = { key: string; created: boolean } | { key: undefined; problem: string };

function isCode(err: unknown, code: Code): boolean {
  return ConnectError.from(err).code === code;
}

/** The stored gateway key if auth still accepts it, else a new one made with the admin key. */
export async function ensureGatewayServiceKey(opts: ServiceKeyOptions): Promise<ServiceKeyResult> {
  const file = join(opts.dataDir, 'agent-gateway', 'service-key');
  const stored = await readFile(file, 'utf8').then((t) => t.trim(), (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (stored !== undefined && stored !== '') {
    // VerifyApiKey needs no credential of its own; the stored key is what is checked.
    const probe = createAegisClients({ urls: opts.urls, apiKey: stored, tracing: false });
    try {
      const verdict = await probe.auth.apiKeys.verifyApiKey({ key: stored });
      if (verdict.valid) return { key: stored, created: false };
    } finally {
      await probe.close();
    }
    if (opts.adminKey === undefined) {
      return { key: undefined, problem: `the gateway key in ${file} is no longer valid (revoked?); set AEGIS_GATEWAY_API_KEY to a key with the ${ROLE} role` };
    }
  }
  if (opts.adminKey === undefined) {
    return { key: undefined, problem: `no gateway key in ${file} and no bootstrap admin key this start; set AEGIS_GATEWAY_API_KEY (see examples/agent-gateway/README.md)` };
  }

  const admin = createAegisClients({ urls: opts.urls, apiKey: opts.adminKey, tracing: false });
  try {
    const tenantId = opts.tenantId;
    try {
      await admin.policy.roles.createRole({ tenantId, role: { name: ROLE, description: 'The agent gateway: guard calls only', permissions: [...GATEWAY_PERMISSIONS] } });
    } catch (err) {
      if (!isCode(err, Code.AlreadyExists)) throw err;
    }
    const existing = (await admin.auth.users.listUsers({ tenantId, role: ROLE, pageSize: 1 })).users[0];
    const userId = existing?.userId ?? (await admin.auth.users.createUser({ tenantId, email: 'agent-gateway@aegis.local', displayName: 'Agent gateway (service)', roles: [ROLE] })).user!.userId;
    const { secret } = await admin.auth.apiKeys.createApiKey({ tenantId, userId, name: KEY_NAME });
    await writeOwnerOnly(file, secret);
    return { key: secret, created: true };
  } finally {
    await admin.close();
  }
}

async function writeOwnerOnly(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const staged = `${file}.${process.pid}`;
  const handle = await open(staged, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(staged, file);
}
