// The policy service as its callers see it: started with auth in one process on PGlite and
// the embedded event log, called over HTTP with auth's bootstrap admin key.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { authService } from '@aegis/auth-service';
import { PrincipalSchema, type Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { DecisionService } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { PolicyService } from '@aegis/proto/aegis/policy/v1/policy_service_pb.js';
import { RoleService } from '@aegis/proto/aegis/policy/v1/role_service_pb.js';
import { createLogger, startServices, type RunningServices } from '@aegis/shared';
import { policyService } from '../../../src/definition.js';

/** Auth's bootstrap tenant, which is also the platform tenant. */
export const TENANT = 'default';

export interface PolicyClients {
  decisions: Client<typeof DecisionService>;
  roles: Client<typeof RoleService>;
  policies: Client<typeof PolicyService>;
}

export interface RunningPolicy {
  admin: PolicyClients;
  /** Clients sending the given credential (or none). */
  clients(credential?: string): PolicyClients;
  stop(): Promise<void>;
}

const BANNER_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;

export async function startPolicy(): Promise<RunningPolicy> {
  const leaked = Object.keys(process.env).filter((name) => name.startsWith('AEGIS_AUTH_'));
  if (leaked.length > 0) throw new Error(`unset ${leaked.join(', ')} to run the policy service tests`);
  const dataDir = await mkdtemp(join(tmpdir(), 'aegis-policy-test-'));
  let running: RunningServices;
  try {
    running = await startServices([authService, policyService], {
      processName: 'policy-test',
      telemetry: false,
      logger: createLogger({ service: 'policy-test', level: 'silent' }),
      env: { AEGIS_DATA_DIR: dataDir, AEGIS_AUTH_PORT: '0', AEGIS_POLICY_PORT: '0' },
    });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const [auth, policy] = running.services;
  const key = auth!.banner.map((line) => BANNER_KEY.exec(line)?.[1]).find((k) => k !== undefined);
  if (key === undefined) throw new Error('auth printed no bootstrap admin key');
  const clients = (credential?: string): PolicyClients => {
    const transport = createConnectTransport({
      baseUrl: policy!.url,
      httpVersion: '1.1',
      interceptors: credential === undefined ? [] : [(next) => (req) => {
        req.header.set('authorization', `Bearer ${credential}`);
        return next(req);
      }],
    });
    return {
      decisions: createClient(DecisionService, transport),
      roles: createClient(RoleService, transport),
      policies: createClient(PolicyService, transport),
    };
  };
  return {
    admin: clients(key),
    clients,
    async stop() {
      const { failed } = await running.stop();
      await rm(dataDir, { recursive: true, force: true });
      if (failed.length > 0) throw new Error(`services did not stop cleanly: ${failed.join(', ')}`);
    },
  };
}

/** A principal of the test tenant, as auth would have verified it. */
export function principal(roles: string[], extra: Omit<MessageInitShape<typeof PrincipalSchema>, '$typeName'> = {}): Principal {
  return create(PrincipalSchema, { tenantId: TENANT, id: `user-${roles.join('-')}`, userId: `user-${roles.join('-')}`, roles, ...extra });
}

export async function rejection(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('the call succeeded, but a rejection was expected');
}
