// aegis keys create|list|rotate|revoke: auth's ApiKeyService. A secret is printed once, by
// the create or rotate that made it, with a warning on stderr; nothing else ever shows it.
import { create } from '@bufbuild/protobuf';
import { DurationSchema } from '@bufbuild/protobuf/wkt';
import { ApiKeySchema, ApiKeyStatus, type ApiKey } from '@aegis/proto/aegis/auth/v1/api_key_pb.js';
import { ApiKeyService, CreateApiKeyResponseSchema, RevokeApiKeyResponseSchema, RotateApiKeyResponseSchema } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import { EXIT, type CliIO } from '../../command.js';
import { messageJson, messagesJson } from '../../output/json.js';
import { renderFields, renderTable } from '../../output/table.js';
import { duration, enumName, list, parseDurationSeconds, parseEnum, time } from '../../output/values.js';
import { futureTime, keyValues, required } from '../../server/arguments.js';
import { allPages } from '../../server/pages.js';
import { serverCommand, UsageError } from '../../server/server-command.js';

const SECRET_WARNING = 'warning: this is the only time the secret is shown. Store it now (e.g. in a secret manager); Aegis keeps only a digest and cannot show it again.\n';

export const keyStatus = (k: ApiKey) => enumName(ApiKeyStatus, k.status, 'API_KEY_STATUS');
export const tierName = (t: RateLimitTier) => enumName(RateLimitTier, t, 'RATE_LIMIT_TIER');

export function parseTier(text: string | undefined): RateLimitTier | undefined {
  if (text === undefined) return undefined;
  const tier = parseEnum(RateLimitTier, text, 'RATE_LIMIT_TIER');
  if (tier === undefined) throw new UsageError('--tier must be free, pro or enterprise');
  return tier;
}

function keyFields(k: ApiKey): string {
  return renderFields([
    ['key id', k.keyId], ['name', k.name], ['user', k.userId], ['hint', k.hint], ['status', keyStatus(k)],
    ['roles', list(k.roles)], ['scopes', list(k.scopes)], ['tier', tierName(k.tier)], ['expires', time(k.expireTime)],
  ]);
}

function printSecret(io: CliIO, secret: string): string {
  io.stderr.write(SECRET_WARNING);
  return `\nsecret (shown once):\n  ${secret}\n`;
}

export const keysCreate = serverCommand({
  group: 'keys', name: 'create', summary: 'Create an API key (its secret is shown once)',
  usage: '--name <name> [options]',
  description: 'Creates an API key for a user (default: the calling user) and prints its secret once.\nThe key acts as its owner, narrowed to --role and --scope when given.',
  services: ['auth'],
  options: {
    name: { type: 'string', placeholder: 'name', help: 'Name, unique per owner (required)' },
    user: { type: 'string', placeholder: 'user-id', help: 'Owner (default: the calling user)' },
    role: { type: 'string', multiple: true, placeholder: 'role', help: "A role of the key (default: all of the owner's roles)" },
    scope: { type: 'string', multiple: true, placeholder: 'scope', help: 'A scope narrowing the key' },
    tier: { type: 'string', placeholder: 'tier', help: "Rate-limit tier: free, pro or enterprise (default: the tenant's)" },
    environment: { type: 'string', placeholder: 'env', help: 'Environment label in the secret, e.g. live or test (default live)' },
    expires: { type: 'string', placeholder: 'time', help: 'Expiry: RFC 3339 time or a duration from now (30d); default never' },
    meta: { type: 'string', multiple: true, placeholder: 'k=v', help: 'A metadata label' },
  },
  examples: ['aegis keys create --name ci --user 0193... --role developer --tier pro --expires 90d', 'aegis keys create --name ci --json | jq -r .secret'],
  async run(ctx) {
    const name = required('name', ctx.string('name'));
    const expires = ctx.string('expires');
    const res = await ctx.client(ApiKeyService).createApiKey({
      tenantId: await ctx.tenant(), name, userId: ctx.string('user') ?? '', environment: ctx.string('environment') ?? '',
      roles: ctx.strings('role'), scopes: ctx.strings('scope'), tier: parseTier(ctx.string('tier')) ?? RateLimitTier.UNSPECIFIED,
      ...(expires !== undefined ? { expireTime: futureTime('expires', expires) } : {}),
      metadata: keyValues('meta', ctx.strings('meta'), false) as Record<string, string>,
    });
    ctx.print(messageJson(CreateApiKeyResponseSchema, res), () => `created API key\n${keyFields(res.apiKey!)}${printSecret(ctx.io, res.secret)}`);
    if (ctx.json) ctx.io.stderr.write(SECRET_WARNING);
    return EXIT.ok;
  },
});

export const keysList = serverCommand({
  group: 'keys', name: 'list', summary: 'List API keys (never their secrets)',
  usage: '[options]',
  description: 'Lists the API keys of the tenant, or of one user, newest first. Secrets are never\nshown: the hint (prefix and last characters) is enough to recognise a key.',
  services: ['auth'],
  options: {
    user: { type: 'string', placeholder: 'user-id', help: "Only this user's keys" },
    'include-revoked': { type: 'boolean', help: 'Include revoked keys and keys rotated away' },
  },
  async run(ctx) {
    const tenantId = await ctx.tenant();
    const client = ctx.client(ApiKeyService);
    const keys = await allPages(async (pageToken) => {
      const page = await client.listApiKeys({ tenantId, userId: ctx.string('user') ?? '', includeRevoked: ctx.flag('include-revoked'), pageSize: 1000, pageToken });
      return { items: page.apiKeys, nextPageToken: page.nextPageToken };
    }, { progress: ctx.progress, noun: 'keys' });
    ctx.print({ apiKeys: messagesJson(ApiKeySchema, keys) }, () => renderTable([
      { header: 'key id', value: (k) => k.keyId },
      { header: 'name', value: (k) => k.name },
      { header: 'user', value: (k) => k.userId },
      { header: 'hint', value: (k) => k.hint },
      { header: 'status', value: keyStatus },
      { header: 'roles', value: (k) => list(k.roles) },
      { header: 'tier', value: (k) => tierName(k.tier) },
      { header: 'expires', value: (k) => time(k.expireTime) },
      { header: 'last used', value: (k) => time(k.lastUsedTime) },
    ], keys, '(no keys)'));
    return EXIT.ok;
  },
});

export const keysRotate = serverCommand({
  group: 'keys', name: 'rotate', summary: 'Replace a key with a new secret (shown once)',
  usage: '[options] <key-id>',
  description: 'Issues a new key with the same configuration and prints its secret once. The old\nkey keeps verifying for --grace (default 0: refused at once), then stops.',
  services: ['auth'],
  positionals: { min: 1, max: 1 },
  options: { grace: { type: 'string', placeholder: 'duration', help: 'How long the old secret keeps working, e.g. 1h (0s to 30d; default 0s)' } },
  examples: ['aegis keys rotate --grace 24h 0193...'],
  async run(ctx) {
    const graceText = ctx.string('grace') ?? '0s';
    const grace = parseDurationSeconds(graceText);
    if (grace === undefined) throw new UsageError('--grace must be a duration such as 0s, 30m, 24h or 7d');
    const res = await ctx.client(ApiKeyService).rotateApiKey({ tenantId: await ctx.tenant(), keyId: ctx.args[0]!, gracePeriod: create(DurationSchema, { seconds: grace }) });
    const old = res.previousApiKey;
    ctx.print(messageJson(RotateApiKeyResponseSchema, res), () =>
      `rotated ${old?.keyId ?? ctx.args[0]} -> ${res.apiKey!.keyId}; the old key ${grace === 0n ? 'no longer verifies' : `verifies until ${time(old?.expireTime)} (grace ${duration(create(DurationSchema, { seconds: grace }))})`}\n${keyFields(res.apiKey!)}${printSecret(ctx.io, res.secret)}`);
    if (ctx.json) ctx.io.stderr.write(SECRET_WARNING);
    return EXIT.ok;
  },
});

export const keysRevoke = serverCommand({
  group: 'keys', name: 'revoke', summary: 'Revoke a key permanently',
  usage: '[options] <key-id>',
  description: 'Revokes a key for good: every service refuses it within a second. Revoking a revoked\nkey is not an error.',
  services: ['auth'],
  positionals: { min: 1, max: 1 },
  options: { reason: { type: 'string', placeholder: 'text', help: 'Why, recorded in the audit event' } },
  async run(ctx) {
    const res = await ctx.client(ApiKeyService).revokeApiKey({ tenantId: await ctx.tenant(), keyId: ctx.args[0]!, reason: ctx.string('reason') ?? '' });
    ctx.print(messageJson(RevokeApiKeyResponseSchema, res), () => `revoked ${res.apiKey!.keyId} (${res.apiKey!.name}, ${res.apiKey!.hint}) at ${time(res.apiKey!.revokeTime)}\n`);
    return EXIT.ok;
  },
});
