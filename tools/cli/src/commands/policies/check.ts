// aegis policies check: one decision of the policy service, explained. The principal is a user
// of the tenant (--user: their roles and attributes, read from auth) and/or roles and
// attributes given on the command line.
import type { JsonObject } from '@bufbuild/protobuf';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { CheckResponseSchema, DecisionService } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { effectName, reasonName } from '@aegis/policy-service/policy-tests';
import { EXIT } from '../../command.js';
import { messageJson } from '../../output/json.js';
import { renderFields } from '../../output/table.js';
import { list } from '../../output/values.js';
import { limitsText } from '../roles/roles.js';
import { keyValues } from '../../server/arguments.js';
import { serverCommand, UsageError } from '../../server/server-command.js';

export const policiesCheck = serverCommand({
  group: 'policies', name: 'check', summary: 'Ask for one decision: may this principal do this?',
  usage: '[options] <action> <kind>[/<id>]',
  description: `Asks the policy service for one decision, with the stored roles and policies of the
tenant, and prints allow or deny with the explanation (the rule that decided, the revision).
The principal: --user (their roles and attributes, read from auth), and/or --role and --attr.
Exit code 0 when allowed, 1 when denied.`,
  services: ['policy', 'auth'],
  positionals: { min: 2, max: 2 },
  options: {
    user: { type: 'string', placeholder: 'user-id', help: "Decide for this user, with their roles and attributes" },
    role: { type: 'string', multiple: true, placeholder: 'role', help: 'A role of the principal (added to the user\'s)' },
    scope: { type: 'string', multiple: true, placeholder: 'scope', help: 'A scope narrowing the principal' },
    attr: { type: 'string', multiple: true, placeholder: 'k=v', help: 'A principal attribute, read as user.<k> (JSON values: 3, true)' },
    'resource-attr': { type: 'string', multiple: true, placeholder: 'k=v', help: 'A resource attribute, read as data.<k>' },
    model: { type: 'string', placeholder: 'model', help: 'The model the action would use' },
    ip: { type: 'string', placeholder: 'address', help: 'Client IP, read as request.ip' },
  },
  examples: [
    'aegis policies check --role developer create agent',
    'aegis policies check --user 0193... --resource-attr contains_pii=true read dataset/customers',
  ],
  async run(ctx) {
    const [action, resourceText] = ctx.args as [string, string];
    const slash = resourceText.indexOf('/');
    const kind = slash < 0 ? resourceText : resourceText.slice(0, slash);
    const id = slash < 0 ? '' : resourceText.slice(slash + 1);
    if (action.trim() === '' || kind.trim() === '') throw new UsageError('give an action and a resource kind, e.g. `read agent/a1`');
    const userId = ctx.string('user');
    const roles = ctx.strings('role');
    if (userId === undefined && roles.length === 0) throw new UsageError('name the principal: --user <id> and/or --role <role>');
    const tenantId = await ctx.tenant();
    const user = userId === undefined ? undefined : (await ctx.client(UserService).getUser({ tenantId, userId })).user;
    const attributes: JsonObject = { ...(user?.attributes as JsonObject | undefined), ...keyValues('attr', ctx.strings('attr'), true) };
    const res = await ctx.client(DecisionService).check({
      tenantId,
      principal: {
        tenantId, type: PrincipalType.USER, id: userId ?? 'aegis-cli-check', userId: userId ?? '',
        roles: [...new Set([...(user?.roles ?? []), ...roles])], scopes: ctx.strings('scope'), attributes,
      },
      action, resource: { kind, id, attributes: keyValues('resource-attr', ctx.strings('resource-attr'), true) },
      model: ctx.string('model') ?? '', requestIp: ctx.string('ip') ?? '',
    });
    const d = res.decision!;
    ctx.print(messageJson(CheckResponseSchema, res), () => `${effectName(d.effect).toUpperCase()}  ${d.permission}\n${renderFields([
      ['reason', reasonName(d.reason)], ['explanation', d.explanation], ['matched role', d.matchedRole], ['matched policies', list(d.matchedPolicies)],
      ['models', list(d.obligations?.allowedModels ?? [])], ['limits', limitsText(d.obligations?.resourceLimits)], ['revision', String(d.revision)],
    ])}`);
    return d.effect === Effect.ALLOW ? EXIT.ok : EXIT.failed;
  },
});
