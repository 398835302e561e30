import { createClient, type Transport } from '@connectrpc/connect';
import { createConnectTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { DecisionService, type CheckResponse } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { unavailable } from '../errors/index.js';
import { clientTracingInterceptor } from '../telemetry/index.js';
import { decisionFromProto, permissionParts, type PermissionDecider } from './permission-decider.js';

export interface DeciderOverOptions {
  /** Deadline of one Check call. */
  timeoutMs: number;
  /** Sent when a call forwards no credential of its own (an SDK's API key). */
  credential?: string;
  /** Extra work for close() (the transport's connections). */
  onClose?: () => Promise<void>;
}

/**
 * Asks DecisionService.Check over `transport`. Any failure to get an answer is `unavailable`:
 * the caller refuses the request (fail closed), it never lets it through.
 */
export function permissionDeciderOver(transport: Transport, opts: DeciderOverOptions): PermissionDecider {
  const client = createClient(DecisionService, transport);
  return {
    async check(query, options = {}) {
      const { kind, action } = permissionParts(query.permission);
      const credential = options.credential?.value ?? opts.credential;
      let res: CheckResponse;
      try {
        res = await client.check(
          {
            tenantId: query.tenantId,
            principal: query.principal,
            action,
            resource: { kind, id: query.resource?.id ?? '', ...(query.resource?.attributes !== undefined ? { attributes: query.resource.attributes } : {}) },
            requestIp: query.requestIp ?? '',
            ...(query.context !== undefined ? { context: query.context } : {}),
          },
          {
            timeoutMs: opts.timeoutMs,
            ...(credential !== undefined ? { headers: { authorization: `Bearer ${credential}` } } : {}),
            ...(options.signal !== undefined ? { signal: options.signal } : {}),
          },
        );
      } catch (err) {
        throw unavailable('the permission check failed: the policy service is unavailable, retry later', { cause: err });
      }
      return decisionFromProto(res.decision);
    },
    close: async () => opts.onClose?.(),
  };
}

export interface RemotePermissionDeciderOptions {
  /** Base URL of the policy service (`AEGIS_POLICY_URL`). */
  policyUrl: string;
  /** Deadline of one Check call (default 1 s). */
  timeoutMs?: number;
  credential?: string;
}

/** The decider of a service in another process than policy: Check over one HTTP/2 connection, binary. */
export function createRemotePermissionDecider(opts: RemotePermissionDeciderOptions): PermissionDecider {
  const baseUrl = opts.policyUrl.replace(/\/+$/, '');
  // Pings notice a silently dead peer within seconds, not at the next request's deadline.
  const sessions = new Http2SessionManager(baseUrl, { pingIntervalMs: 10_000, pingTimeoutMs: 5_000, idleConnectionTimeoutMs: 60_000 });
  const transport = createConnectTransport({
    baseUrl,
    httpVersion: '2',
    useBinaryFormat: true,
    sessionManager: sessions,
    interceptors: [clientTracingInterceptor()],
  });
  return permissionDeciderOver(transport, {
    timeoutMs: opts.timeoutMs ?? 1_000,
    ...(opts.credential !== undefined ? { credential: opts.credential } : {}),
    onClose: async () => sessions.abort(),
  });
}

