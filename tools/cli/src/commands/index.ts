import type { CommandGroup } from '../command.js';
import { auditVerify } from './audit/verify.js';
import { policiesTest } from './policies/test.js';

// Every command group of `aegis`. A new command is a file under commands/<group>/ and one
// line here.
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  { name: 'policies', summary: 'Work with RBAC roles and ABAC policies', commands: [policiesTest] },
  { name: 'audit', summary: 'Check the audit stream', commands: [auditVerify] },
];
