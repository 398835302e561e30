import type { JsonObject } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { Counter, type Registry } from 'prom-client';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { credentialSource, presentedCredential, requirePrincipal } from '../auth/index.js';
import { permissionDenied } from '../errors/index.js';
import type { DecisionCache } from './decision-cache.js';
import { decisionKey } from './decision-key.js';
import type { DecideOptions, PermissionDecider, PermissionDecision, PermissionQuery } from './permission-decider.js';

export interface PermissionCheckerOptions {
  decider: PermissionDecider;
  /** Absent: every question goes to the decider. */
  cache?: DecisionCache;
  /** Where `permission_decisions_total` is registered (the service's metrics registry). */
  registry?: Registry;
}

export interface RequireOptions extends DecideOptions {
  context?: JsonObject;
  requestIp?: string;
}

/**
 * `require_permission` for code that is not an interceptor: a handler deciding on one resource,
 * or the SDK. Decisions are made by policy in the principal's own tenant and reused from the
 * cache while fresh. A denial is PermissionDenied naming the permission and why; a policy
 * service that cannot answer is Unavailable (never a pass).
 */
export class PermissionChecker {
  readonly #decider: PermissionDecider;
  readonly #cache: DecisionCache | undefined;
  readonly #decisions: Counter<'source' | 'effect'> | undefined;

  constructor(opts: PermissionCheckerOptions) {
    this.#decider = opts.decider;
    this.#cache = opts.cache;
    this.#decisions = opts.registry === undefined ? undefined : decisionsCounter(opts.registry);
  }

  /** The decision, from the cache when fresh, else from the decider (and then cached). */
  async decide(query: PermissionQuery, options: DecideOptions = {}): Promise<PermissionDecision> {
    const cache = this.#cache;
    const key = cache === undefined ? undefined : decisionKey(query);
    const cached = key === undefined ? undefined : cache?.get(key);
    if (cached !== undefined) {
      this.#count('cache', cached);
      return cached;
    }
    const ticket = cache?.ticket() ?? 0;
    const decision = await this.#decider.check(query, options);
    if (key !== undefined) cache?.set(query.tenantId, key, decision, ticket);
    this.#count('policy', decision);
    return decision;
  }

  /** The allowing decision, or PermissionDenied naming `permission`. */
  async require(principal: Principal, permission: string, resource?: PermissionQuery['resource'], options: RequireOptions = {}): Promise<PermissionDecision> {
    const { context, requestIp, ...decide } = options;
    const decision = await this.decide({
      tenantId: principal.tenantId,
      principal,
      permission,
      ...(resource !== undefined ? { resource } : {}),
      ...(context !== undefined ? { context } : {}),
      ...(requestIp !== undefined && requestIp !== '' ? { requestIp } : {}),
    }, decide);
    if (!decision.allowed) throw permissionDenied(deniedMessage(permission, decision));
    return decision;
  }

  /** `require` for the caller of the current RPC: its principal, credential, address and signal. */
  requireForCaller(ctx: HandlerContext, permission: string, resource?: PermissionQuery['resource'], options: { context?: JsonObject } = {}): Promise<PermissionDecision> {
    return this.require(requirePrincipal(ctx), permission, resource, { ...options, ...callerOptions(ctx.requestHeader, ctx.signal) });
  }

  close(): Promise<void> {
    return this.#decider.close();
  }

  #count(source: 'cache' | 'policy', decision: PermissionDecision): void {
    this.#decisions?.inc({ source, effect: decision.allowed ? 'allow' : 'deny' });
  }
}

const DECISIONS_METRIC = 'permission_decisions_total';

function decisionsCounter(registry: Registry): Counter<'source' | 'effect'> {
  const existing = registry.getSingleMetric(DECISIONS_METRIC);
  if (existing !== undefined) return existing as Counter<'source' | 'effect'>;
  return new Counter({
    name: DECISIONS_METRIC,
    help: 'Permission decisions used by this server, by source (cache or policy) and effect (allow or deny).',
    labelNames: ['source', 'effect'] as const,
    registers: [registry],
  });
}

/** What the request itself tells the decider: the credential to forward, the caller's address. */
export function callerOptions(header: Headers, signal: AbortSignal): RequireOptions {
  let credential: DecideOptions['credential'];
  try {
    credential = presentedCredential(header);
  } catch {
    credential = undefined; // authenticated in process (no header): nothing to forward
  }
  const requestIp = credentialSource(header);
  return { signal, ...(credential !== undefined ? { credential } : {}), ...(requestIp !== '' ? { requestIp } : {}) };
}

/** "missing permission pii:detect: no role grants pii:detect and no policy allows it". */
export function deniedMessage(permission: string, decision: PermissionDecision): string {
  const why = decision.explanation.replace(/^denied: /, '');
  return `missing permission ${permission}${why !== '' ? `: ${why}` : ` (${decision.reason})`}`;
}
