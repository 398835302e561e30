// The decision engine's own vocabulary. Plain data, independent of protobuf, so the engine can
// be fed from the store, from drafts in a policy test, or from a test table alike;
// proto-mapping.ts converts at the edges.

/** A JSON value as found in attributes and conditions (structurally the protobuf Struct form). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** One invalid field, with the dotted path of the field (e.g. "policy.condition.user.x.$lt"). */
export interface FieldViolation {
  field: string;
  description: string;
}

/**
 * Runtime limits of a role. An absent field means no limit. Integers, in the proto's units
 * except `maxExecutionTimeMs` (the proto's Duration in milliseconds).
 */
export interface ResourceLimits {
  maxTokensPerDay?: number;
  maxConcurrentAgents?: number;
  maxConcurrentExecutions?: number;
  maxRequestsPerMinute?: number;
  maxTokensPerRequest?: number;
  maxExecutionTimeMs?: number;
  maxMemoryMb?: number;
  /** Further named limits; a name absent here is unlimited. */
  custom?: Readonly<Record<string, number>>;
}

/** The named (non-custom) limit fields, in a fixed order. */
export const LIMIT_FIELDS = [
  'maxTokensPerDay',
  'maxConcurrentAgents',
  'maxConcurrentExecutions',
  'maxRequestsPerMinute',
  'maxTokensPerRequest',
  'maxExecutionTimeMs',
  'maxMemoryMb',
] as const satisfies readonly (keyof ResourceLimits)[];
export type LimitField = (typeof LIMIT_FIELDS)[number];

/** An RBAC role of a tenant. */
export interface RoleDefinition {
  name: string;
  description?: string;
  /** `resource:action`, `resource:*` or `*`. */
  permissions: readonly string[];
  /** Model ids, or `*` for any. */
  modelAccess: readonly string[];
  resourceLimits?: ResourceLimits;
  /** Roles this one includes. */
  inherits: readonly string[];
  /** Set on the four plan roles (their content always comes from the plan's table). */
  builtin?: boolean;
}

export type Effect = 'allow' | 'deny';

/** An ABAC policy in the Kaizen format. */
export interface PolicyDefinition {
  name: string;
  description?: string;
  /** Attribute path -> expected value or operator object; all must hold. Empty: always holds. */
  condition: JsonObject;
  /** `read`, `kind:read`, `kind:*` or `*`. */
  actions: readonly string[];
  effect: Effect;
  /** Disabled policies are kept but never applied. Default true. */
  enabled?: boolean;
}

/** The tenant's working week, for `time.business_hours`. */
export interface BusinessHours {
  /** IANA zone name, e.g. "Europe/Berlin". */
  timeZone: string;
  /** ISO weekdays that are working days: 1 = Monday ... 7 = Sunday. */
  weekdays: readonly number[];
  /** Minutes after local midnight: start inclusive, end exclusive (0 <= start < end <= 1440). */
  startMinute: number;
  endMinute: number;
}

export const DEFAULT_BUSINESS_HOURS: BusinessHours = {
  timeZone: 'UTC',
  weekdays: [1, 2, 3, 4, 5],
  startMinute: 9 * 60,
  endMinute: 17 * 60,
};

/** Everything one tenant's decisions depend on, as loaded at one revision. */
export interface PolicySetSnapshot {
  tenantId: string;
  /** Tenant-wide revision, reported in every decision. */
  revision: number;
  /** Custom roles. The four built-in roles are always present and cannot be redefined. */
  roles: readonly RoleDefinition[];
  policies: readonly PolicyDefinition[];
  /** Default: Monday-Friday 09:00-17:00 UTC. */
  businessHours?: BusinessHours;
}

/** Who acts, as verified by auth. */
export interface DecisionPrincipal {
  id: string;
  /** Role names; names the tenant does not define grant nothing. */
  roles: readonly string[];
  /** Narrowing scopes (permission patterns); empty = not narrowed. */
  scopes?: readonly string[];
  /** Read by conditions as `user.<name>`. */
  attributes?: JsonObject;
}

export interface DecisionResource {
  kind: string;
  id?: string;
  /** Read by conditions as `data.<name>`. */
  attributes?: JsonObject;
}

export interface DecisionContext {
  /** Request time, epoch milliseconds. */
  now: number;
  /** Client IP, read as `request.ip`. */
  ip?: string;
  /** Read as `request.<name>`. */
  attributes?: JsonObject;
  /**
   * Fixed `time.*` values replacing the clock (policy tests only: a live Check must not let the
   * caller claim it is business hours).
   */
  pinnedTime?: JsonObject;
}

export interface DecisionRequest {
  tenantId: string;
  principal: DecisionPrincipal;
  /** The action; the permission checked is `<resource.kind>:<action>`. */
  action: string;
  resource: DecisionResource;
  /** If set, must be among the principal's allowed models. */
  model?: string;
  context: DecisionContext;
  /** Attribute paths (e.g. "user.ssn") whose values are masked in the explanation. */
  sensitiveAttributes?: readonly string[];
}

export type DecisionReason =
  | 'role_permission'
  | 'policy_allow'
  | 'policy_deny'
  | 'no_match'
  | 'model_not_allowed'
  | 'scope_excluded';

/** What the caller must enforce with an allow. */
export interface Obligations {
  /** Sorted model ids, or ["*"]. */
  allowedModels: readonly string[];
  resourceLimits: ResourceLimits;
}

export interface Decision {
  allowed: boolean;
  effect: Effect;
  /** `<kind>:<action>`. */
  permission: string;
  reason: DecisionReason;
  /** The principal's role that granted the permission (role_permission only). */
  matchedRole?: string;
  /** Deny policies for policy_deny, allow policies for policy_allow; otherwise empty. */
  matchedPolicies: readonly string[];
  /** One sentence; sensitive values masked. */
  explanation: string;
  /** Empty (no models, no limits) unless allowed. */
  obligations: Obligations;
  revision: number;
  /**
   * Set when a condition read `time.*` or `request.*`: the same request may be decided
   * differently on the next call, so the decision must not be reused. Absent otherwise.
   */
  readPerCallAttributes?: true;
}
