// aegis users create|list|get|disable|enable: auth's UserService.
import { UserSchema, UserStatus, type User } from '@aegis/proto/aegis/auth/v1/user_pb.js';
import { CreateUserResponseSchema, DisableUserResponseSchema, EnableUserResponseSchema, GetUserResponseSchema, UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { EXIT } from '../../command.js';
import { messageJson, messagesJson } from '../../output/json.js';
import { renderFields, renderTable } from '../../output/table.js';
import { enumName, list, time } from '../../output/values.js';
import { keyValues, required } from '../../server/arguments.js';
import { allPages } from '../../server/pages.js';
import { serverCommand } from '../../server/server-command.js';

const userStatus = (u: User) => enumName(UserStatus, u.status, 'USER_STATUS');

export function userFields(u: User): string {
  return renderFields([
    ['user id', u.userId], ['email', u.email], ['name', u.displayName], ['status', userStatus(u)], ['roles', list(u.roles)],
    ['attributes', u.attributes === undefined || Object.keys(u.attributes).length === 0 ? '' : JSON.stringify(u.attributes)],
    ['created', time(u.createTime)], ['last login', time(u.lastLoginTime)], ['version', String(u.version)],
  ]);
}

export const usersCreate = serverCommand({
  group: 'users', name: 'create', summary: 'Create a user',
  usage: '--email <email> [options]',
  description: 'Creates a user of the tenant. Users log in through SSO and own API keys; roles must\nexist in the policy service (built-in or created with `aegis roles create`).',
  services: ['auth'],
  options: {
    email: { type: 'string', placeholder: 'email', help: 'E-mail, unique in the tenant (required)' },
    name: { type: 'string', placeholder: 'name', help: 'Display name' },
    role: { type: 'string', multiple: true, placeholder: 'role', help: 'An initial role' },
    attr: { type: 'string', multiple: true, placeholder: 'k=v', help: 'An ABAC attribute, read by policies as user.<k> (JSON values: 3, true)' },
  },
  examples: ['aegis users create --email ana@example.com --name "Ana" --role developer --attr department=finance'],
  async run(ctx) {
    const res = await ctx.client(UserService).createUser({
      tenantId: await ctx.tenant(), email: required('email', ctx.string('email')), displayName: ctx.string('name') ?? '', roles: ctx.strings('role'),
      attributes: keyValues('attr', ctx.strings('attr'), true),
    });
    ctx.print(messageJson(CreateUserResponseSchema, res), () => `created user\n${userFields(res.user!)}`);
    return EXIT.ok;
  },
});

export const usersList = serverCommand({
  group: 'users', name: 'list', summary: 'List users',
  usage: '[options]',
  description: 'Lists the users of the tenant by e-mail (active ones unless --include-disabled).',
  services: ['auth'],
  options: {
    role: { type: 'string', placeholder: 'role', help: 'Only users holding this role' },
    'include-disabled': { type: 'boolean', help: 'Include disabled users' },
  },
  async run(ctx) {
    const tenantId = await ctx.tenant();
    const client = ctx.client(UserService);
    const users = await allPages(async (pageToken) => {
      const page = await client.listUsers({ tenantId, role: ctx.string('role') ?? '', includeDisabled: ctx.flag('include-disabled'), pageSize: 1000, pageToken });
      return { items: page.users, nextPageToken: page.nextPageToken };
    }, { progress: ctx.progress, noun: 'users' });
    ctx.print({ users: messagesJson(UserSchema, users) }, () => renderTable([
      { header: 'user id', value: (u) => u.userId },
      { header: 'email', value: (u) => u.email },
      { header: 'name', value: (u) => u.displayName },
      { header: 'status', value: userStatus },
      { header: 'roles', value: (u) => list(u.roles) },
      { header: 'last login', value: (u) => time(u.lastLoginTime) },
    ], users, '(no users)'));
    return EXIT.ok;
  },
});

export const usersGet = serverCommand({
  group: 'users', name: 'get', summary: 'Show one user',
  usage: '[options] <user-id>',
  description: 'Shows one user: e-mail, status, roles and ABAC attributes.',
  services: ['auth'],
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const res = await ctx.client(UserService).getUser({ tenantId: await ctx.tenant(), userId: ctx.args[0]! });
    ctx.print(messageJson(GetUserResponseSchema, res), () => userFields(res.user!));
    return EXIT.ok;
  },
});

export const usersDisable = serverCommand({
  group: 'users', name: 'disable', summary: "Disable a user and revoke their keys and sessions",
  usage: '[options] <user-id>',
  description: "Disables a user: their API keys, sessions and refresh tokens are refused everywhere\nwithin a second. The tenant's last active admin cannot be disabled.",
  services: ['auth'],
  positionals: { min: 1, max: 1 },
  options: { reason: { type: 'string', placeholder: 'text', help: 'Why, recorded in the audit event' } },
  async run(ctx) {
    const res = await ctx.client(UserService).disableUser({ tenantId: await ctx.tenant(), userId: ctx.args[0]!, reason: ctx.string('reason') ?? '' });
    ctx.print(messageJson(DisableUserResponseSchema, res), () =>
      `disabled ${res.user!.email} (${res.user!.userId}): ${res.revokedApiKeys} API key(s) and ${res.revokedSessions} session(s) revoked\n`);
    return EXIT.ok;
  },
});

export const usersEnable = serverCommand({
  group: 'users', name: 'enable', summary: 'Re-enable a disabled user',
  usage: '[options] <user-id>',
  description: 'Lets a disabled user act again. Keys and sessions revoked when they were disabled\nstay revoked.',
  services: ['auth'],
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const res = await ctx.client(UserService).enableUser({ tenantId: await ctx.tenant(), userId: ctx.args[0]! });
    ctx.print(messageJson(EnableUserResponseSchema, res), () => `enabled ${res.user!.email} (${res.user!.userId})\n`);
    return EXIT.ok;
  },
});
