// The auth service as the SSO tests run it, on PGlite + in-memory stores + the embedded log
// or on a fresh Postgres database + Redis + Kafka, with Connect clients for the SSO services
// (admin calls present the bootstrap API key) and a recorder of the audit events it publishes.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { IdentityProviderService } from '@aegis/proto/aegis/auth/v1/identity_provider_service_pb.js';
import { OAuthService, type ExchangeCodeResponse } from '@aegis/proto/aegis/auth/v1/oauth_service_pb.js';
import { SessionService } from '@aegis/proto/aegis/auth/v1/session_service_pb.js';
import { TokenService } from '@aegis/proto/aegis/auth/v1/token_service_pb.js';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { createDatabase, createLogger, decodeEvent, startServices, TOPICS, type RunningServices, type SqlDatabase, type StartedService, type SubscriptionHandle } from '@aegis/shared';
import { createTestDatabase, createTestRedis, requireKafka, uniqueKafkaName, type TestDatabase, type TestRedis } from '@aegis/shared/testing';
import { authService } from '../../../src/definition.js';
import type { AuthBackend } from '../auth-harness.js';
import { Browser, type BrowserLogin } from './browser.js';

export { tempDataDir } from '../auth-harness.js';

/** Where the providers send the browser back; never fetched by the tests. */
export const REDIRECT_URI = 'https://app.example.test/sso/callback';
export const TENANT = 'default';

const SSO_SETTINGS = {
  AEGIS_AUTH_SSO_REDIRECT_URIS: REDIRECT_URI,
  AEGIS_AUTH_SSO_ALLOW_HTTP_LOOPBACK: 'true',
};

export function embeddedSsoBackend(): AuthBackend {
  return {
    name: 'PGlite + in-memory stores + embedded event log',
    async setUp() {},
    env: (dataDir) => ({ AEGIS_DATA_DIR: dataDir, AEGIS_AUTH_PORT: '0', ...SSO_SETTINGS }),
    async tearDown() {},
  };
}

/** A fresh Postgres database, the Redis server and the Kafka broker; fails naming whichever is down. */
export function externalSsoBackend(): AuthBackend {
  // Its own Redis namespace: failure counters and caches of other test files stay apart.
  const redisPrefix = `t${randomBytes(5).toString('hex')}:`;
  let db: TestDatabase | undefined;
  let redis: TestRedis | undefined;
  let brokers: string[] = [];
  return {
    name: 'Postgres + Redis + Kafka',
    async setUp() {
      brokers = await requireKafka();
      redis = await createTestRedis({ name: 'sso' });
      db = await createTestDatabase({ schema: 'auth' });
    },
    env(dataDir) {
      if (db?.url === undefined || redis === undefined) throw new Error('setUp did not create the test database and Redis');
      return {
        AEGIS_DATA_DIR: dataDir, AEGIS_AUTH_PORT: '0', DATABASE_URL: db.url, REDIS_URL: redis.url, KAFKA_BROKERS: brokers.join(','),
        AEGIS_REDIS_KEY_PREFIX: redisPrefix, AEGIS_AUTH_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`, ...SSO_SETTINGS,
      };
    },
    async tearDown() {
      await redis?.close();
      await db?.close();
    },
  };
}

export interface SsoAuth {
  readonly running: RunningServices;
  readonly service: StartedService;
  readonly adminKey: string;
  /** Admin clients (bootstrap key of tenant "default"). */
  readonly providers: Client<typeof IdentityProviderService>;
  readonly sessions: Client<typeof SessionService>;
  readonly users: Client<typeof UserService>;
  /** Anonymous clients: the OAuth flow and token refresh are public. */
  readonly oauth: Client<typeof OAuthService>;
  readonly tokens: Client<typeof TokenService>;
  /** Calls made with a user's access token. */
  sessionsAs(accessToken: string): Client<typeof SessionService>;
  providersAs(accessToken: string): Client<typeof IdentityProviderService>;
  readonly audit: AuditRecorder;
  /** A client address of this instance's own (failed logins are throttled per address). */
  readonly clientIp: string;
  openDatabase(): Promise<SqlDatabase>;
  stop(): Promise<void>;
}

const BANNER_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;

export async function startSsoAuth(env: Record<string, string>): Promise<SsoAuth> {
  const leaked = Object.keys(process.env).filter((name) => name.startsWith('AEGIS_AUTH_'));
  if (leaked.length > 0) throw new Error(`unset ${leaked.join(', ')} to run the auth integration tests`);
  const logger = createLogger({ service: 'sso-test', level: 'warn', destination: { write: () => {} } });
  const running = await startServices([authService], { processName: 'sso-test', telemetry: false, env, logger });
  const service = running.services[0]!;
  const adminKey = service.banner.map((line) => BANNER_KEY.exec(line)?.[1]).find((k): k is string => k !== undefined);
  if (adminKey === undefined) throw new Error('the first start on a fresh database printed no bootstrap key');
  const client = <S extends Parameters<typeof createClient>[0]>(svc: S, bearer?: string) => {
    const auth: Interceptor = (next) => (req) => {
      if (bearer !== undefined) req.header.set('authorization', `Bearer ${bearer}`);
      return next(req);
    };
    return createClient(svc, createConnectTransport({ baseUrl: service.url, httpVersion: '1.1', interceptors: [auth] }));
  };
  const audit = await AuditRecorder.start(running);
  const opened: SqlDatabase[] = [];
  let stopping: Promise<void> | undefined;
  return {
    running,
    service,
    adminKey,
    providers: client(IdentityProviderService, adminKey),
    sessions: client(SessionService, adminKey),
    users: client(UserService, adminKey),
    oauth: client(OAuthService),
    tokens: client(TokenService),
    sessionsAs: (accessToken) => client(SessionService, accessToken),
    providersAs: (accessToken) => client(IdentityProviderService, accessToken),
    audit,
    clientIp: `10.${[...randomBytes(3)].join('.')}`,
    async openDatabase() {
      const { databaseUrl, serviceDataDir } = service.config;
      const db = databaseUrl !== undefined
        ? await createDatabase({ url: databaseUrl, schema: 'auth', poolMax: 2 })
        : await createDatabase({ dataDir: join(serviceDataDir, 'pglite'), schema: 'auth' });
      opened.push(db);
      return db;
    },
    stop() {
      stopping ??= (async () => {
        await audit.stop();
        await Promise.all(opened.map((db) => db.close()));
        const { failed } = await running.stop();
        if (failed.length > 0) throw new Error(`auth did not stop cleanly: ${failed.join(', ')}`);
      })();
      return stopping;
    },
  };
}

/** Audit events published while the recorder runs (the audit topic is shared: tests filter by ids). */
export class AuditRecorder {
  readonly events: Event[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly handle: SubscriptionHandle) {}

  static async start(running: RunningServices): Promise<AuditRecorder> {
    let recorder: AuditRecorder | undefined;
    const pending: Event[] = [];
    const handle = await running.events.subscribe({
      groupId: uniqueKafkaName('sso-test-audit'),
      topics: [TOPICS.audit],
      async handleBatch(batch) {
        for (const consumed of batch) {
          try {
            const event = decodeEvent(consumed.value);
            if (recorder === undefined) pending.push(event);
            else recorder.add(event);
          } catch {
            // Other producers share the topic; only decodable events matter here.
          }
        }
      },
    });
    recorder = new AuditRecorder(handle);
    for (const event of pending) recorder.add(event);
    return recorder;
  }

  /** The first event matching, waiting up to `timeoutMs` for it. */
  async waitFor(what: string, match: (e: Event) => boolean, timeoutMs = 20_000): Promise<Event> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no audit event ${what} within ${timeoutMs} ms; saw: ${this.events.map((e) => e.action).join(', ')}`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  private add(event: Event): void {
    this.events.push(event);
    for (const wake of [...this.waiters]) wake();
  }

  stop(): Promise<void> {
    return this.handle.stop();
  }
}

/** The audit event's detail value, or undefined. */
export function detail(event: Event, key: string): string | undefined {
  return event.payload.case === 'audit' ? event.payload.value.details.find((d) => d.key === key)?.value : undefined;
}

export function resourceId(event: Event): string | undefined {
  return event.payload.case === 'audit' ? event.payload.value.resource?.id : undefined;
}

export interface LoginAttempt {
  state: string;
  callback: URL;
}

/** GetAuthorizationUrl, then the browser at the provider; `rewrite` tampers with the URL first. */
export async function browseToCallback(auth: SsoAuth, providerId: string, login: BrowserLogin, rewrite?: (url: URL) => void): Promise<LoginAttempt> {
  const started = await auth.oauth.getAuthorizationUrl({ tenantId: TENANT, providerId, redirectUri: REDIRECT_URI });
  const url = new URL(started.authorizationUrl);
  rewrite?.(url);
  const callback = await new Browser().authorize(url.href, login, REDIRECT_URI);
  return { state: started.state, callback };
}

export function exchange(auth: SsoAuth, attempt: LoginAttempt, extra: { ipAddress?: string; userAgent?: string } = {}): Promise<ExchangeCodeResponse> {
  const code = attempt.callback.searchParams.get('code');
  if (code === null) throw new Error(`the provider answered without a code: ${attempt.callback.search}`);
  return auth.oauth.exchangeCode({
    tenantId: TENANT,
    state: attempt.callback.searchParams.get('state') ?? '',
    code,
    redirectUri: REDIRECT_URI,
    ipAddress: extra.ipAddress ?? auth.clientIp,
    userAgent: extra.userAgent ?? 'sso-test/1',
  });
}

/** The whole login: authorization URL, provider, ExchangeCode. */
export async function login(auth: SsoAuth, providerId: string, account: BrowserLogin): Promise<ExchangeCodeResponse> {
  return exchange(auth, await browseToCallback(auth, providerId, account));
}
