// aegis roles list|get|create|assign|unassign: policy's RoleService defines roles, auth's
// UserService assigns them to users.
import { create } from '@bufbuild/protobuf';
import { AssignRolesResponseSchema, UnassignRolesResponseSchema, UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { ListPermissionsResponseSchema, DecisionService } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { RoleSchema, type ResourceLimits, type Role } from '@aegis/proto/aegis/policy/v1/role_pb.js';
import { CreateRoleResponseSchema, RoleService } from '@aegis/proto/aegis/policy/v1/role_service_pb.js';
import { EXIT } from '../../command.js';
import { messageJson, messagesJson } from '../../output/json.js';
import { renderFields, renderTable } from '../../output/table.js';
import { duration, list, time } from '../../output/values.js';
import { allPages } from '../../server/pages.js';
import { serverCommand, UsageError } from '../../server/server-command.js';

export function limitsText(limits: ResourceLimits | undefined): string {
  if (limits === undefined) return '';
  const parts: string[] = [];
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'bigint') continue;
    parts.push(`${name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}=${value}`);
  }
  if (limits.maxExecutionTime !== undefined) parts.push(`max_execution_time=${duration(limits.maxExecutionTime)}`);
  for (const [name, value] of Object.entries(limits.custom)) parts.push(`${name}=${value}`);
  return parts.join(' ');
}

function roleFields(role: Role): string {
  return renderFields([
    ['role', role.name], ['description', role.description], ['built-in', role.builtin ? 'yes' : 'no'],
    ['permissions', list(role.permissions)], ['inherits', list(role.inherits)], ['models', list(role.modelAccess)],
    ['limits', limitsText(role.resourceLimits)], ['version', role.lastChange === undefined ? '' : String(role.lastChange.version)],
    ['changed', role.lastChange === undefined ? '' : `${time(role.lastChange.changeTime)} by ${role.lastChange.changedBy}`],
  ]);
}

export const rolesList = serverCommand({
  group: 'roles', name: 'list', summary: 'List roles (built-in and custom)',
  usage: '[options]',
  description: "Lists the tenant's roles by name, the built-in admin, developer, operator and viewer included.",
  services: ['policy'],
  async run(ctx) {
    const tenantId = await ctx.tenant();
    const client = ctx.client(RoleService);
    const roles = await allPages(async (pageToken) => {
      const page = await client.listRoles({ tenantId, pageSize: 1000, pageToken });
      return { items: page.roles, nextPageToken: page.nextPageToken };
    }, { progress: ctx.progress, noun: 'roles' });
    ctx.print({ roles: messagesJson(RoleSchema, roles) }, () => renderTable([
      { header: 'role', value: (r) => r.name },
      { header: 'built-in', value: (r) => (r.builtin ? 'yes' : '') },
      { header: 'permissions', value: (r) => list(r.permissions) },
      { header: 'inherits', value: (r) => list(r.inherits) },
      { header: 'description', value: (r) => r.description },
    ], roles));
    return EXIT.ok;
  },
});

export const rolesGet = serverCommand({
  group: 'roles', name: 'get', summary: 'Show a role and what it grants',
  usage: '[options] <role>',
  description: 'Shows a role as written, and what it grants with inheritance resolved (permissions,\nmodels, most generous limits).',
  services: ['policy'],
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const tenantId = await ctx.tenant();
    const { role } = await ctx.client(RoleService).getRole({ tenantId, name: ctx.args[0]! });
    const expanded = await ctx.client(DecisionService).listPermissions({ tenantId, subject: { case: 'role', value: ctx.args[0]! } });
    ctx.print({ role: messageJson(RoleSchema, role!), effective: messageJson(ListPermissionsResponseSchema, expanded) }, () =>
      `${roleFields(role!)}\neffective (inheritance resolved):\n${renderFields([
        ['roles', list(expanded.roles)], ['permissions', list(expanded.permissions)], ['models', list(expanded.allowedModels)], ['limits', limitsText(expanded.resourceLimits)],
      ])}`);
    return EXIT.ok;
  },
});

export const rolesCreate = serverCommand({
  group: 'roles', name: 'create', summary: 'Create a custom role',
  usage: '[options] <role>',
  description: 'Creates a custom role. Permissions are resource:action (resource:* and * are wildcards).\nFor roles with resource limits, or many roles at once, write them in a file and use\n`aegis policies apply`.',
  services: ['policy'],
  positionals: { min: 1, max: 1 },
  options: {
    permission: { type: 'string', multiple: true, placeholder: 'perm', help: 'A permission, e.g. agent:execute' },
    inherits: { type: 'string', multiple: true, placeholder: 'role', help: 'A role whose grants this one includes' },
    model: { type: 'string', multiple: true, placeholder: 'model', help: 'A model the role may use (* = any)' },
    description: { type: 'string', placeholder: 'text', help: 'What the role is for' },
  },
  examples: ['aegis roles create ai_analyst --permission agent:execute --permission data:read --inherits viewer --model gpt-4o'],
  async run(ctx) {
    const role = create(RoleSchema, {
      name: ctx.args[0]!, description: ctx.string('description') ?? '', permissions: ctx.strings('permission'),
      inherits: ctx.strings('inherits'), modelAccess: ctx.strings('model'),
    });
    const res = await ctx.client(RoleService).createRole({ tenantId: await ctx.tenant(), role });
    ctx.print(messageJson(CreateRoleResponseSchema, res), () => `created role\n${roleFields(res.role!)}`);
    return EXIT.ok;
  },
});

function assignment(name: 'assign' | 'unassign') {
  const adding = name === 'assign';
  return serverCommand({
    group: 'roles', name, summary: adding ? 'Give a user roles' : 'Take roles from a user',
    usage: '[options] <user-id> <role>...',
    description: adding
      ? 'Adds roles to a user (roles the user already holds are left alone). The roles must exist.'
      : "Removes roles from a user (roles the user does not hold are ignored). The tenant's last admin keeps admin.",
    services: ['auth'],
    positionals: { min: 2, max: 100 },
    examples: [`aegis roles ${name} 0193... ai_analyst`],
    async run(ctx) {
      const [userId, ...roles] = ctx.args;
      if (roles.some((r) => r.trim() === '')) throw new UsageError('role names must not be empty');
      const request = { tenantId: await ctx.tenant(), userId: userId!, roles };
      const client = ctx.client(UserService);
      const user = adding ? (await client.assignRoles(request)).user! : (await client.unassignRoles(request)).user!;
      const schema = adding ? AssignRolesResponseSchema : UnassignRolesResponseSchema;
      ctx.print(messageJson(schema, create(schema, { user })), () => `${user.email} (${user.userId}) now holds: ${list(user.roles) || '(no roles)'}\n`);
      return EXIT.ok;
    },
  });
}

export const rolesAssign = assignment('assign');
export const rolesUnassign = assignment('unassign');
