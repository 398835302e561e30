import { createClient, type Client, type Interceptor, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { CredentialEventService } from '@aegis/proto/aegis/auth/v1/credential_event_service_pb.js';
import { IdentityProviderService } from '@aegis/proto/aegis/auth/v1/identity_provider_service_pb.js';
import { SessionService } from '@aegis/proto/aegis/auth/v1/session_service_pb.js';
import { TenantService } from '@aegis/proto/aegis/auth/v1/tenant_service_pb.js';
import { TokenService } from '@aegis/proto/aegis/auth/v1/token_service_pb.js';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { CostAlertService } from '@aegis/proto/aegis/billing/v1/alert_service_pb.js';
import { BudgetService } from '@aegis/proto/aegis/billing/v1/budget_service_pb.js';
import { EstimationService } from '@aegis/proto/aegis/billing/v1/estimation_service_pb.js';
import { PriceService } from '@aegis/proto/aegis/billing/v1/price_service_pb.js';
import { ReservationService } from '@aegis/proto/aegis/billing/v1/reservation_service_pb.js';
import { UsageService } from '@aegis/proto/aegis/billing/v1/usage_service_pb.js';
import { DlpService } from '@aegis/proto/aegis/pii/v1/dlp_service_pb.js';
import { InputValidationService } from '@aegis/proto/aegis/pii/v1/input_validation_service_pb.js';
import { PiiService } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import { DecisionService } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { PolicyService } from '@aegis/proto/aegis/policy/v1/policy_service_pb.js';
import { PolicyTestService } from '@aegis/proto/aegis/policy/v1/policy_test_service_pb.js';
import { RoleService } from '@aegis/proto/aegis/policy/v1/role_service_pb.js';
import { LeaseService } from '@aegis/proto/aegis/ratelimit/v1/lease_service_pb.js';
import { LimitConfigService } from '@aegis/proto/aegis/ratelimit/v1/limit_config_service_pb.js';
import { RateLimitService } from '@aegis/proto/aegis/ratelimit/v1/rate_limit_service_pb.js';
import { Health } from '@aegis/proto/grpc/health/v1/health_pb.js';
import { VerifiedCredentials, type CredentialCacheSettings } from './cache/credential-verifications.js';
import { CachedDecisions, type DecisionCacheOptions } from './cache/decision-cache-watch.js';
import { RateAllowances, type RateAllowanceOptions } from './ratelimit/rate-allowances.js';
import { LocalScanner, type LocalScanOptions } from './scan/local-scanner.js';
import { BudgetAllowances, type BudgetAllowanceOptions } from './budget/allowances.js';
import { serviceCredentialInterceptor } from './transport/credential.js';
import { installHttp2GoawayGuard } from './transport/http2-goaway-guard.js';
import { DEFAULT_RETRY, retryInterceptor, type RetryPolicy, type RetrySafety, aegisRetrySafety } from './transport/retry.js';
import { clientTracingInterceptor } from './transport/tracing.js';

export type AegisServiceName = 'auth' | 'policy' | 'ratelimit' | 'pii' | 'billing';
const SERVICE_NAMES: readonly AegisServiceName[] = ['auth', 'policy', 'ratelimit', 'pii', 'billing'];

export interface AegisClientOptions {
  /**
   * Where each service listens, e.g. `{ auth: 'http://auth:8081', ... }`; or one URL for all
   * five when a gateway routes by RPC path.
   */
  urls: Record<AegisServiceName, string> | string;
  /** The platform service's own API key, sent on every call. */
  apiKey: string;
  /** Wire protocol (default `connect`); both run over HTTP/2 unless `httpVersion` says 1.1. */
  protocol?: 'connect' | 'grpc';
  /** Default `2` (one multiplexed connection per service); `1.1` only for the Connect protocol. */
  httpVersion?: '2' | '1.1';
  /** Deadline of each call unless the call sets its own `timeoutMs` (default 2000 ms). */
  timeoutMs?: number;
  /** Retries of Unavailable (default 3 attempts, 25 ms doubling up to 500 ms, full jitter). */
  retry?: Partial<RetryPolicy>;
  /** Which calls may be repeated (default: the contract's idempotent and read-only RPCs, see docs/sdk.md). */
  retrySafety?: RetrySafety;
  /** W3C trace propagation through @opentelemetry/api (default true). */
  tracing?: boolean;
  /** Further interceptors, run after tracing and before retries. */
  interceptors?: Interceptor[];
  /**
   * Replaces the network transport, e.g. `(s, options) => createRouterTransport(routes, { transport: options })`
   * in tests; it must apply `options` (interceptors for tracing, credential and retries; the deadline).
   */
  transport?: (service: AegisServiceName, options: { interceptors: Interceptor[]; defaultTimeoutMs: number }) => Transport;
  /**
   * The guard's cache of verified end-user credentials, used only while auth's credential
   * events stream in (needs `credential:watch`, in GUARD_PERMISSIONS); default on, `false`
   * asks auth on every guarded call. See docs/sdk.md, "The verification cache".
   */
  credentialCache?: CredentialCacheSettings | false;
  /**
   * The guard's cache of policy decisions, used only while policy's WatchPolicyChanges stream
   * is live; default on, `false` asks policy on every guarded call. See docs/sdk.md, "The
   * decision cache".
   */
  decisionCache?: DecisionCacheOptions | false;
  /**
   * The guard's rate-limit allowances: units of a bucket taken from the limiter ahead of need
   * and spent without a round trip, and reuse of a freed concurrency lease by the user's next
   * run; default on, `false` asks the limiter on every guarded call. See docs/sdk.md,
   * "Rate-limit allowances".
   */
  rateAllowances?: RateAllowanceOptions | false;
  /**
   * The guard's local DLP scan: content in which the tenant's DLP (read from pii, same engine
   * version) finds nothing is answered without calling Scan, only while pii's WatchDlpChanges
   * stream is live (needs `dlp:watch`, in GUARD_PERMISSIONS); default on, `false` asks pii on
   * every scan. See docs/sdk.md, "The local scan".
   */
  localScan?: LocalScanOptions | false;
  /**
   * The guard's budget allowances: a shared budget hold for several requests, carved locally per
   * request, the usage settled with billing in the background right after the answer; default
   * on, `false` reserves and commits every guarded call. See docs/sdk.md, "Budget allowances".
   */
  budgetAllowances?: BudgetAllowanceOptions | false;
}

export interface AuthClients {
  apiKeys: Client<typeof ApiKeyService>;
  tokens: Client<typeof TokenService>;
  users: Client<typeof UserService>;
  tenants: Client<typeof TenantService>;
  sessions: Client<typeof SessionService>;
  identityProviders: Client<typeof IdentityProviderService>;
  credentialEvents: Client<typeof CredentialEventService>;
  /** The guard's verification cache (absent with `credentialCache: false`). */
  verifiedCredentials?: VerifiedCredentials;
}

export interface PolicyClients {
  decisions: Client<typeof DecisionService>;
  policies: Client<typeof PolicyService>;
  roles: Client<typeof RoleService>;
  tests: Client<typeof PolicyTestService>;
  /** Check with the decision cache in front (absent with `decisionCache: false`); the guard authorizes through it. */
  decisionCache?: CachedDecisions;
}

export interface RatelimitClients {
  limits: Client<typeof RateLimitService>;
  leases: Client<typeof LeaseService>;
  config: Client<typeof LimitConfigService>;
  /** Allowances and idle leases (absent with `rateAllowances: false`); the guard admits through them first. */
  allowances?: RateAllowances;
}

export interface PiiClients {
  pii: Client<typeof PiiService>;
  dlp: Client<typeof DlpService>;
  inputValidation: Client<typeof InputValidationService>;
  /** Scan answered in process for clean content (absent with `localScan: false`); the guard scans through it first. */
  localScanner?: LocalScanner;
}

export interface BillingClients {
  estimation: Client<typeof EstimationService>;
  reservations: Client<typeof ReservationService>;
  usage: Client<typeof UsageService>;
  budgets: Client<typeof BudgetService>;
  prices: Client<typeof PriceService>;
  alerts: Client<typeof CostAlertService>;
  /** Shared holds carved per request (absent with `budgetAllowances: false`); the guard holds budget through them first. */
  allowances?: BudgetAllowances;
}

/** Typed clients of the five services, sharing connections, deadlines, retries, tracing and the credential. */
export interface AegisClients {
  auth: AuthClients;
  policy: PolicyClients;
  ratelimit: RatelimitClients;
  pii: PiiClients;
  billing: BillingClients;
  /** grpc.health.v1 of each service. */
  health: Record<AegisServiceName, Client<typeof Health>>;
  /**
   * Closes the HTTP/2 connections; calls after this fail. Resolves once pending usage is
   * settled and budget allowances are released (await it before the process exits).
   */
  close(): Promise<void>;
}

function urlOf(urls: AegisClientOptions['urls'], service: AegisServiceName): string {
  const url = typeof urls === 'string' ? urls : urls[service];
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new Error(`@aegis/sdk: no http(s) URL for the ${service} service`);
  return url.replace(/\/+$/, '');
}

export function createAegisClients(opts: AegisClientOptions): AegisClients {
  installHttp2GoawayGuard();
  if (typeof opts.apiKey !== 'string' || opts.apiKey.trim() === '') throw new Error('@aegis/sdk: apiKey (the platform service\'s own API key) is required');
  const protocol = opts.protocol ?? 'connect';
  const httpVersion = opts.httpVersion ?? '2';
  if (protocol === 'grpc' && httpVersion !== '2') throw new Error('@aegis/sdk: gRPC needs HTTP/2');
  const timeoutMs = opts.timeoutMs ?? 2000;
  // Order: tracing outermost (one span per logical call, retries inside it), retries innermost
  // after the credential, so each attempt carries the same headers.
  const interceptors: Interceptor[] = [
    ...(opts.tracing === false ? [] : [clientTracingInterceptor(protocol === 'grpc' ? 'grpc' : 'connect_rpc')]),
    ...(opts.interceptors ?? []),
    serviceCredentialInterceptor(opts.apiKey.trim()),
    retryInterceptor({ ...DEFAULT_RETRY, ...opts.retry }, opts.retrySafety ?? aegisRetrySafety),
  ];
  const sessions = new Map<string, Http2SessionManager>();
  const transports = new Map<string, Transport>();
  const transportFor = (service: AegisServiceName): Transport => {
    if (opts.transport !== undefined) return opts.transport(service, { interceptors, defaultTimeoutMs: timeoutMs });
    const baseUrl = urlOf(opts.urls, service);
    let transport = transports.get(baseUrl);
    if (transport === undefined) {
      const common = { baseUrl, interceptors, defaultTimeoutMs: timeoutMs };
      if (httpVersion === '2') {
        const sessionManager = new Http2SessionManager(baseUrl);
        sessions.set(baseUrl, sessionManager);
        transport = protocol === 'grpc'
          ? createGrpcTransport({ ...common, sessionManager })
          : createConnectTransport({ ...common, httpVersion: '2', sessionManager });
      } else {
        transport = createConnectTransport({ ...common, httpVersion: '1.1' });
      }
      transports.set(baseUrl, transport);
    }
    return transport;
  };
  const t = Object.fromEntries(SERVICE_NAMES.map((s) => [s, transportFor(s)])) as Record<AegisServiceName, Transport>;
  const credentialEvents = createClient(CredentialEventService, t.auth);
  const verifiedCredentials = opts.credentialCache === false ? undefined : new VerifiedCredentials(credentialEvents, opts.credentialCache);
  const decisions = createClient(DecisionService, t.policy);
  const decisionCache = opts.decisionCache === false ? undefined : new CachedDecisions(decisions, opts.decisionCache);
  const rateLimits = createClient(RateLimitService, t.ratelimit);
  const leases = createClient(LeaseService, t.ratelimit);
  const allowances = opts.rateAllowances === false ? undefined : new RateAllowances(rateLimits, leases, opts.rateAllowances);
  const dlp = createClient(DlpService, t.pii);
  const localScanner = opts.localScan === false ? undefined : new LocalScanner(dlp, opts.localScan);
  const reservations = createClient(ReservationService, t.billing);
  const budgetAllowances = opts.budgetAllowances === false ? undefined : new BudgetAllowances(reservations, opts.budgetAllowances);
  return {
    auth: {
      apiKeys: createClient(ApiKeyService, t.auth),
      tokens: createClient(TokenService, t.auth),
      users: createClient(UserService, t.auth),
      tenants: createClient(TenantService, t.auth),
      sessions: createClient(SessionService, t.auth),
      identityProviders: createClient(IdentityProviderService, t.auth),
      credentialEvents,
      ...(verifiedCredentials !== undefined ? { verifiedCredentials } : {}),
    },
    policy: {
      decisions,
      policies: createClient(PolicyService, t.policy),
      roles: createClient(RoleService, t.policy),
      tests: createClient(PolicyTestService, t.policy),
      ...(decisionCache !== undefined ? { decisionCache } : {}),
    },
    ratelimit: {
      limits: rateLimits,
      leases,
      config: createClient(LimitConfigService, t.ratelimit),
      ...(allowances !== undefined ? { allowances } : {}),
    },
    pii: {
      pii: createClient(PiiService, t.pii),
      dlp,
      inputValidation: createClient(InputValidationService, t.pii),
      ...(localScanner !== undefined ? { localScanner } : {}),
    },
    billing: {
      estimation: createClient(EstimationService, t.billing),
      reservations,
      usage: createClient(UsageService, t.billing),
      budgets: createClient(BudgetService, t.billing),
      prices: createClient(PriceService, t.billing),
      alerts: createClient(CostAlertService, t.billing),
      ...(budgetAllowances !== undefined ? { allowances: budgetAllowances } : {}),
    },
    health: Object.fromEntries(SERVICE_NAMES.map((s) => [s, createClient(Health, t[s])])) as Record<AegisServiceName, Client<typeof Health>>,
    close() {
      void verifiedCredentials?.close();
      void decisionCache?.close();
      const closeSessions = () => {
        for (const session of sessions.values()) session.abort();
        sessions.clear();
      };
      // Unused rate-limit units are refunded and idle leases released before the connections close.
      // Pending usage is settled and shared budget holds released, too, before the connections close,
      // and what local scans found reaches pii's audit.
      const draining = [allowances?.close(), budgetAllowances?.close(), localScanner?.close()].filter((p) => p !== undefined);
      if (draining.length === 0) {
        closeSessions();
        return Promise.resolve();
      }
      return Promise.allSettled(draining).then(closeSessions);
    },
  };
}
