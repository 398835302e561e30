import type { CommandGroup } from '../command.js';
import { auditQuery } from './audit/query.js';
import { auditTail } from './audit/tail.js';
import { auditVerify } from './audit/verify.js';
import { budgetsCreate, budgetsDelete, budgetsGet, budgetsList, budgetsRemaining } from './budgets/budgets.js';
import { keysCreate, keysList, keysRevoke, keysRotate } from './keys/keys.js';
import { limitsDelete, limitsGet, limitsSet } from './limits/limits.js';
import { piiScan } from './pii/scan.js';
import { policiesApply } from './policies/apply.js';
import { policiesCheck } from './policies/check.js';
import { policiesTest } from './policies/test.js';
import { rolesAssign, rolesCreate, rolesGet, rolesList, rolesUnassign } from './roles/roles.js';
import { usageShow } from './usage/usage.js';
import { usersCreate, usersDisable, usersEnable, usersGet, usersList } from './users/users.js';

// Every command group of `aegis`. A new command is a file under commands/<group>/ and one
// line here.
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  { name: 'keys', summary: 'Manage API keys (auth)', commands: [keysCreate, keysList, keysRotate, keysRevoke] },
  { name: 'users', summary: 'Manage users (auth)', commands: [usersCreate, usersList, usersGet, usersDisable, usersEnable] },
  { name: 'roles', summary: 'Define roles (policy) and assign them to users (auth)', commands: [rolesList, rolesGet, rolesCreate, rolesAssign, rolesUnassign] },
  { name: 'policies', summary: 'Work with RBAC roles and ABAC policies', commands: [policiesApply, policiesCheck, policiesTest] },
  { name: 'limits', summary: 'Rate-limit overrides and tiers (ratelimit)', commands: [limitsGet, limitsSet, limitsDelete] },
  { name: 'budgets', summary: 'Spending caps (billing)', commands: [budgetsCreate, budgetsList, budgetsGet, budgetsRemaining, budgetsDelete] },
  { name: 'usage', summary: 'Token usage and cost (billing)', commands: [usageShow], defaultCommand: 'show' },
  { name: 'pii', summary: 'Detect and redact PII (pii)', commands: [piiScan] },
  { name: 'audit', summary: 'Read and check the audit trail (audit sink, Kafka, files)', commands: [auditVerify, auditTail, auditQuery] },
];
