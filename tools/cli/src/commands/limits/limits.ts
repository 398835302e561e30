// aegis limits get|set|delete: ratelimit's LimitConfigService overrides (per key, or for the
// whole tenant), and the built-in tiers they adjust.
import { create } from '@bufbuild/protobuf';
import { DurationSchema } from '@bufbuild/protobuf/wkt';
import { GetLimitOverrideResponseSchema, LimitConfigService, SetLimitOverrideResponseSchema } from '@aegis/proto/aegis/ratelimit/v1/limit_config_service_pb.js';
import { LimitOverrideSchema, TierDefinitionSchema, type LimitOverride } from '@aegis/proto/aegis/ratelimit/v1/limit_config_pb.js';
import { LimitSchema, type Limit } from '@aegis/proto/aegis/ratelimit/v1/limit_pb.js';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import { EXIT } from '../../command.js';
import { messageJson, messagesJson } from '../../output/json.js';
import { renderFields, renderTable } from '../../output/table.js';
import { duration, parseDurationSeconds, time } from '../../output/values.js';
import { futureTime } from '../../server/arguments.js';
import { allPages } from '../../server/pages.js';
import { serverCommand, UsageError, type ServerContext } from '../../server/server-command.js';
import { parseTier, tierName } from '../keys/keys.js';

const LIMIT_SYNTAX = /^([a-z0-9_-]{1,63})=(\d+)\/(\d+[smhd])(?::(\d+))?$/;

/** `requests_per_minute=100/1m` or with a burst `llm_tokens=100000/1m:150000`. */
export function parseLimit(text: string): Limit {
  const match = LIMIT_SYNTAX.exec(text.trim());
  if (match === null) throw new UsageError(`--limit must be name=quota/window[:burst], e.g. requests_per_minute=100/1m, got "${text}"`);
  return create(LimitSchema, {
    name: match[1]!, quota: BigInt(match[2]!), window: create(DurationSchema, { seconds: parseDurationSeconds(match[3]!)! }),
    burst: match[4] === undefined ? 0n : BigInt(match[4]),
  });
}

/** The --limit syntax back; the burst only when it differs from the quota (its default). */
export const limitText = (l: Limit) => `${l.name}=${l.quota}/${duration(l.window)}${l.burst === 0n || l.burst === l.quota ? '' : `:${l.burst}`}`;

function overrideFields(o: LimitOverride): string {
  return renderFields([
    ['key', o.key === '' ? '(tenant-wide)' : o.key], ['tier', tierName(o.tier)], ['limits', o.limits.map(limitText).join(' ')],
    ['max concurrent', o.maxConcurrent === undefined ? '' : String(o.maxConcurrent)], ['expires', time(o.expireTime)],
    ['reason', o.reason], ['version', String(o.version)], ['updated', `${time(o.updateTime)} by ${o.updatedBy}`],
  ]);
}

/** The key a command is about: the positional, or "" with --tenant-wide (never both). */
function selectedKey(ctx: ServerContext): string {
  const key = ctx.args[0];
  if (ctx.flag('tenant-wide') === (key !== undefined)) throw new UsageError('name a rate-limit key, or pass --tenant-wide (not both)');
  return key ?? '';
}

const TENANT_WIDE = { type: 'boolean', help: "The tenant-wide override (applies to every key of the tenant)" } as const;

export const limitsGet = serverCommand({
  group: 'limits', name: 'get', summary: 'Show limit overrides and the built-in tiers',
  usage: '[options] [<key> | --tenant-wide]',
  description: `With a key (or --tenant-wide): that override. Without: every override of the tenant and
the built-in tiers' windows. A key is what a check is limited by: by default the API key id
or user id of the caller.`,
  services: ['ratelimit'],
  positionals: { min: 0, max: 1 },
  options: { 'tenant-wide': TENANT_WIDE },
  async run(ctx) {
    const tenantId = await ctx.tenant();
    const client = ctx.client(LimitConfigService);
    if (ctx.args.length === 1 || ctx.flag('tenant-wide')) {
      const res = await client.getLimitOverride({ tenantId, key: selectedKey(ctx) });
      ctx.print(messageJson(GetLimitOverrideResponseSchema, res), () => overrideFields(res.override!));
      return EXIT.ok;
    }
    const overrides = await allPages(async (pageToken) => {
      const page = await client.listLimitOverrides({ tenantId, pageSize: 1000, pageToken });
      return { items: page.overrides, nextPageToken: page.nextPageToken };
    }, { progress: ctx.progress, noun: 'overrides' });
    const { tiers } = await client.listTiers({ tenantId });
    ctx.print({ overrides: messagesJson(LimitOverrideSchema, overrides), tiers: messagesJson(TierDefinitionSchema, tiers) }, () =>
      `overrides:\n${renderTable([
        { header: 'key', value: (o: LimitOverride) => (o.key === '' ? '(tenant-wide)' : o.key) },
        { header: 'tier', value: (o) => tierName(o.tier) },
        { header: 'limits', value: (o) => o.limits.map(limitText).join(' ') },
        { header: 'max concurrent', value: (o) => (o.maxConcurrent === undefined ? '' : String(o.maxConcurrent)) },
        { header: 'expires', value: (o) => time(o.expireTime) },
        { header: 'reason', value: (o) => o.reason },
      ], overrides, '(no overrides)')}\ntiers:\n${renderTable([
        { header: 'tier', value: (t) => tierName(t.tier) },
        { header: 'limits', value: (t) => t.limits.map(limitText).join(' ') },
      ], tiers)}`);
    return EXIT.ok;
  },
});

export const limitsSet = serverCommand({
  group: 'limits', name: 'set', summary: 'Create or replace the limit override of a key or tenant',
  usage: '[options] <key> | --tenant-wide',
  description: `Creates or replaces the override of a rate-limit key (or of the whole tenant): a tier
replacing the caller's, limits replacing same-name ones or adding new ones, a concurrency cap.
Every ratelimit instance applies it within a second. The override replaces any previous
one entirely.`,
  services: ['ratelimit'],
  positionals: { min: 0, max: 1 },
  options: {
    'tenant-wide': TENANT_WIDE,
    tier: { type: 'string', placeholder: 'tier', help: 'Tier to apply instead: free, pro or enterprise' },
    limit: { type: 'string', multiple: true, placeholder: 'spec', help: 'name=quota/window[:burst], e.g. requests_per_minute=100/1m' },
    'max-concurrent': { type: 'string', placeholder: 'n', help: 'Cap on concurrent leases (executions)' },
    expires: { type: 'string', placeholder: 'time', help: 'When the override lapses: RFC 3339 or a duration from now (7d)' },
    reason: { type: 'string', placeholder: 'text', help: 'Why (shown to operators, audited)' },
    'expected-version': { type: 'string', placeholder: 'n', help: 'Only replace this version of the override (optimistic concurrency)' },
  },
  examples: ['aegis limits set 0193... --tier enterprise --reason "launch week" --expires 7d', 'aegis limits set --tenant-wide --limit requests_per_minute=600/1m'],
  async run(ctx) {
    const key = selectedKey(ctx);
    const limits = ctx.strings('limit').map(parseLimit);
    const maxConcurrent = ctx.string('max-concurrent');
    if (maxConcurrent !== undefined && !/^\d+$/.test(maxConcurrent)) throw new UsageError('--max-concurrent must be a whole number');
    const tier = parseTier(ctx.string('tier'));
    if (tier === undefined && limits.length === 0 && maxConcurrent === undefined) throw new UsageError('give at least one of --tier, --limit, --max-concurrent');
    const expected = ctx.string('expected-version');
    if (expected !== undefined && !/^\d+$/.test(expected)) throw new UsageError('--expected-version must be a whole number');
    const expires = ctx.string('expires');
    const res = await ctx.client(LimitConfigService).setLimitOverride({
      tenantId: await ctx.tenant(),
      override: {
        key, tier: tier ?? RateLimitTier.UNSPECIFIED, limits, reason: ctx.string('reason') ?? '',
        ...(maxConcurrent !== undefined ? { maxConcurrent: BigInt(maxConcurrent) } : {}),
        ...(expires !== undefined ? { expireTime: futureTime('expires', expires) } : {}),
      },
      expectedVersion: expected === undefined ? 0n : BigInt(expected),
    });
    ctx.print(messageJson(SetLimitOverrideResponseSchema, res), () => `override set\n${overrideFields(res.override!)}`);
    return EXIT.ok;
  },
});

export const limitsDelete = serverCommand({
  group: 'limits', name: 'delete', summary: 'Remove the limit override of a key or tenant',
  usage: '[options] <key> | --tenant-wide',
  description: 'Removes an override: the key (or tenant) is limited by its tier and limit sets again.',
  services: ['ratelimit'],
  positionals: { min: 0, max: 1 },
  options: { 'tenant-wide': TENANT_WIDE },
  async run(ctx) {
    const key = selectedKey(ctx);
    await ctx.client(LimitConfigService).deleteLimitOverride({ tenantId: await ctx.tenant(), key });
    ctx.print({ deleted: { key } }, () => `override of ${key === '' ? 'the tenant' : key} removed\n`);
    return EXIT.ok;
  },
});
