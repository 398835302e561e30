import { Outcome } from '@aegis/proto/aegis/events/v1/event_pb.js';
import type { TokenPair } from '@aegis/proto/aegis/auth/v1/token_pb.js';
import { failedPrecondition, invalidArgument, isAegisError, notFound, permissionDenied, resourceExhausted, unauthenticated, type KeyValueStore, type Logger } from '@aegis/shared';
import type { TokenIssuer, UserRecord } from '../module-ports.js';
import type { AccountLinker } from './account-linker.js';
import { loginFailedAudit, loginSucceededAudit, mfaMissingAudit, SERVICE, type AuditTrail, type LoginFacts } from './audit.js';
import type { ExternalIdentity } from './domain/external-identity.js';
import { looksLikeState, newLoginSecrets, pkceChallenge, type PendingLogin } from './domain/login-state.js';
import type { SessionRecord } from './domain/session.js';
import { checkSsoRules } from './domain/sso-rules.js';
import type { LoginStateStore } from './ports.js';
import type { ProtocolFor, ProviderRegistry } from './provider-registry.js';
import type { SessionRegistry } from './session-registry.js';

// The two halves of an SSO login. start(): remember state, PKCE verifier and nonce, send the
// browser to the provider. finish(): consume the state once, redeem the code, apply the
// tenant's rules, find or create the user, open a session and issue Aegis tokens. Every
// outcome of finish() is audited.

export interface LoginFlowOptions {
  redirectUris: readonly string[];
  stateTtlMs: number;
  failureLimit: number;
  failureWindowMs: number;
}

export interface FinishLoginInput {
  tenantId: string;
  state: string;
  code: string;
  redirectUri: string;
  ipAddress: string;
  userAgent: string;
}

export interface FinishedLogin {
  tokens: TokenPair;
  user: UserRecord;
  userCreated: boolean;
  session: SessionRecord;
  evicted: SessionRecord[];
}

interface LoginAttempt {
  facts: LoginFacts;
  /** Set once the outcome has its audit event. */
  audited: boolean;
}

export class LoginFlow {
  constructor(
    private readonly providers: ProviderRegistry,
    private readonly protocolFor: ProtocolFor,
    private readonly states: LoginStateStore,
    private readonly accounts: AccountLinker,
    private readonly sessions: SessionRegistry,
    private readonly tokens: TokenIssuer,
    private readonly kv: KeyValueStore,
    private readonly audit: AuditTrail,
    private readonly logger: Logger,
    private readonly opts: LoginFlowOptions,
  ) {}

  async start(input: { tenantId: string; providerId: string; redirectUri: string; loginHint: string }): Promise<{ url: string; state: string; expireTime: Date }> {
    if (!this.opts.redirectUris.includes(input.redirectUri)) {
      throw invalidArgument('redirect_uri', this.opts.redirectUris.length === 0
        ? 'no redirect URI is allowed yet: the operator must list them in AEGIS_AUTH_SSO_REDIRECT_URIS'
        : 'is not one of the allowed redirect URIs (AEGIS_AUTH_SSO_REDIRECT_URIS)');
    }
    const provider = await this.providers.get(input.tenantId, input.providerId);
    if (provider === undefined) throw notFound('identity provider', input.providerId);
    if (!provider.enabled) throw failedPrecondition(`identity provider ${input.providerId} is disabled`);
    const secrets = newLoginSecrets();
    const url = await this.protocolFor(provider.kind).authorizationUrl(provider, {
      state: secrets.state,
      nonce: secrets.nonce,
      codeChallenge: pkceChallenge(secrets.codeVerifier),
      redirectUri: input.redirectUri,
      loginHint: input.loginHint,
    });
    const expireTime = new Date(Date.now() + this.opts.stateTtlMs);
    const pending: PendingLogin = {
      tenantId: input.tenantId,
      providerId: provider.providerId,
      redirectUri: input.redirectUri,
      codeVerifier: secrets.codeVerifier,
      nonce: secrets.nonce,
      scopes: provider.scopes,
      expireTime: expireTime.getTime(),
    };
    await this.states.save(secrets.state, pending, this.opts.stateTtlMs);
    return { url, state: secrets.state, expireTime };
  }

  async finish(input: FinishLoginInput): Promise<FinishedLogin> {
    const attempt: LoginAttempt = { facts: { tenantId: input.tenantId, providerId: '', ipAddress: input.ipAddress, userAgent: input.userAgent }, audited: false };
    const throttleKey = `sso:failures:${input.tenantId}:${input.ipAddress || '-'}`;
    const failures = Number((await this.kv.get(throttleKey)) ?? 0);
    if (failures >= this.opts.failureLimit) {
      throw resourceExhausted('too many failed logins from this source: wait a minute and start the login again', { retryAfterMs: this.opts.failureWindowMs });
    }
    try {
      return await this.redeem(input, attempt);
    } catch (err) {
      // Refusals were audited with their reason; anything else (a database or token failure) still is.
      if (!attempt.audited) await this.audit.record(loginFailedAudit(attempt.facts, 'error', 'the login could not be completed', Outcome.FAILURE));
      await this.kv.increment(throttleKey, this.opts.failureWindowMs).catch((e: unknown) => this.logger.warn({ err: e }, 'could not count a failed SSO login'));
      throw err;
    }
  }

  private async redeem(input: FinishLoginInput, attempt: LoginAttempt): Promise<FinishedLogin> {
    const { facts } = attempt;
    const refuse = async (reason: string, err: Error, outcome: Outcome.FAILURE | Outcome.DENIED = Outcome.FAILURE): Promise<never> => {
      attempt.audited = true;
      await this.audit.record(loginFailedAudit(facts, reason, err.message, outcome));
      throw err;
    };

    const pending = looksLikeState(input.state) ? await this.states.take(input.state) : undefined;
    if (pending === undefined) return refuse('state_unknown', unauthenticated('the login state is unknown, expired or already used: start the login again'));
    facts.providerId = pending.providerId;
    if (pending.tenantId !== input.tenantId) return refuse('state_mismatch', unauthenticated('the login was started for another tenant: start the login again'));
    if (pending.redirectUri !== input.redirectUri) return refuse('state_mismatch', unauthenticated('redirect_uri differs from the one the login was started with'));

    const provider = await this.providers.get(input.tenantId, pending.providerId);
    if (provider === undefined) return refuse('provider_missing', failedPrecondition(`identity provider ${pending.providerId} was deleted during the login`));
    if (!provider.enabled) return refuse('provider_disabled', failedPrecondition(`identity provider ${pending.providerId} is disabled`));

    let identity: ExternalIdentity;
    try {
      identity = await this.protocolFor(provider.kind).redeem(provider, {
        code: input.code,
        codeVerifier: pending.codeVerifier,
        nonce: pending.nonce,
        redirectUri: pending.redirectUri,
        requestedScopes: pending.scopes,
        clientSecret: this.providers.clientSecret(provider),
      });
    } catch (err) {
      if (!isAegisError(err)) throw err;
      return refuse(err.kind === 'unauthenticated' ? 'provider_refused' : 'provider_error', err);
    }

    const refusal = checkSsoRules(provider, identity);
    if (refusal?.rule === 'mfa') {
      attempt.audited = true;
      await this.audit.record(mfaMissingAudit({ ...facts, amr: identity.amr, acr: identity.acr }));
      throw permissionDenied(refusal.message);
    }
    if (refusal !== undefined) return refuse(refusal.rule, permissionDenied(refusal.message), Outcome.DENIED);

    const { user, created } = await this.accounts.resolve(provider, identity);
    facts.userId = user.userId;
    if (user.disabled) return refuse('user_disabled', permissionDenied('this user is disabled in the tenant'), Outcome.DENIED);

    const policy = await this.sessions.policy(input.tenantId);
    let opened: Awaited<ReturnType<SessionRegistry['open']>>;
    try {
      opened = await this.sessions.open({
        tenantId: input.tenantId,
        userId: user.userId,
        providerId: provider.providerId,
        amr: identity.amr,
        ipAddress: input.ipAddress,
        userAgent: input.userAgent,
      }, policy);
    } catch (err) {
      if (isAegisError(err) && err.kind === 'resource_exhausted') return refuse('session_limit', err, Outcome.DENIED);
      throw err;
    }
    facts.sessionId = opened.session.sessionId;

    let tokens: TokenPair;
    try {
      tokens = await this.tokens.issueForUser({
        tenantId: input.tenantId,
        userId: user.userId,
        sessionId: opened.session.sessionId,
        includeRefreshToken: true,
        amr: identity.amr,
      });
    } catch (err) {
      // A session nobody holds tokens for would only count against the limit.
      await this.sessions.revoke(input.tenantId, opened.session.sessionId, SERVICE, 'tokens could not be issued')
        .catch((e: unknown) => this.logger.error({ err: e }, 'could not end a session whose tokens failed'));
      throw err;
    }
    // Bookkeeping only: a login that worked must not fail because this write did.
    await this.accounts.recordLogin(input.tenantId, user.userId, new Date())
      .catch((err: unknown) => this.logger.error({ err }, 'could not record the last login time'));
    await this.audit.record(loginSucceededAudit({ ...facts, userId: user.userId, sessionId: opened.session.sessionId, userCreated: created, amr: identity.amr }));
    return { tokens, user, userCreated: created, session: opened.session, evicted: opened.evicted };
  }
}
