import { parseCondition, type Clause } from './condition.js';
import { isNameSegment } from './permission.js';
import type { Effect, FieldViolation, PolicyDefinition } from './types.js';

/** A policy as submitted, before anything is known about its types (validation input). */
export type PolicyDraft = { [K in keyof PolicyDefinition]?: unknown };

/** Which actions a policy covers (policy.proto: "read", "kind:read", "kind:*", "*"). */
export type ActionPattern =
  | { kind: 'all' }
  | { kind: 'bare'; action: string }
  | { kind: 'resource'; resource: string }
  | { kind: 'exact'; resource: string; action: string };

export interface CompiledPolicy {
  readonly name: string;
  readonly effect: Effect;
  readonly actions: readonly ActionPattern[];
  readonly condition: Clause;
}

const POLICY_NAME = /^[a-z0-9_]{1,63}$/;

export function parseActionPattern(text: string): ActionPattern | undefined {
  if (text === '*') return { kind: 'all' };
  const colon = text.indexOf(':');
  if (colon < 0) return isNameSegment(text) ? { kind: 'bare', action: text } : undefined;
  const resource = text.slice(0, colon);
  const action = text.slice(colon + 1);
  if (!isNameSegment(resource)) return undefined;
  if (action === '*') return { kind: 'resource', resource };
  return isNameSegment(action) ? { kind: 'exact', resource, action } : undefined;
}

export function actionCovers(pattern: ActionPattern, resource: string, action: string): boolean {
  switch (pattern.kind) {
    case 'all':
      return true;
    case 'bare':
      return pattern.action === action;
    case 'resource':
      return pattern.resource === resource;
    case 'exact':
      return pattern.resource === resource && pattern.action === action;
  }
}

/**
 * Validates and compiles a policy; `path` prefixes every violation's field
 * (e.g. "policy" -> "policy.condition.user.clearance_level.$lt").
 */
export function compilePolicy(draft: PolicyDraft, path = 'policy'): { policy: CompiledPolicy | undefined; violations: FieldViolation[] } {
  const violations: FieldViolation[] = [];
  const { name, effect, actions, condition } = draft;

  if (typeof name !== 'string' || !POLICY_NAME.test(name)) {
    violations.push({ field: `${path}.name`, description: 'must be 1-63 of [a-z0-9_]' });
  }
  if (effect !== 'allow' && effect !== 'deny') {
    violations.push({ field: `${path}.effect`, description: 'must be allow or deny' });
  }
  if (draft.enabled !== undefined && typeof draft.enabled !== 'boolean') {
    violations.push({ field: `${path}.enabled`, description: 'must be true or false' });
  }

  const patterns: ActionPattern[] = [];
  if (!Array.isArray(actions) || actions.length === 0) {
    violations.push({ field: `${path}.actions`, description: 'must list at least one action ("read", "kind:read", "kind:*" or "*")' });
  } else {
    actions.forEach((text: unknown, i) => {
      const pattern = typeof text === 'string' ? parseActionPattern(text) : undefined;
      if (pattern === undefined) {
        violations.push({ field: `${path}.actions[${i}]`, description: `${JSON.stringify(text)} is not an action: expected "read", "kind:read", "kind:*" or "*"` });
      } else patterns.push(pattern);
    });
  }

  const parsed = parseCondition(condition, `${path}.condition`);
  violations.push(...parsed.violations);

  if (violations.length > 0 || parsed.clause === undefined) return { policy: undefined, violations };
  return {
    policy: { name: name as string, effect: effect as Effect, actions: patterns, condition: parsed.clause },
    violations,
  };
}

/** Write-time validation of a policy: empty when it would be accepted. */
export function validatePolicy(draft: PolicyDraft, path = 'policy'): FieldViolation[] {
  return compilePolicy(draft, path).violations;
}
