import type { AuditQuery } from '../../domain/audit-query.js';

/** SQL conditions (joined with AND) and their parameters, numbered from `firstParam`. */
export interface Conditions {
  where: string;
  params: unknown[];
}

/** The WHERE clause of an AuditQuery over audit_records. Values are always bind parameters. */
export function conditionsOf(query: AuditQuery, firstParam = 1): Conditions {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${firstParam + params.length - 1}`;
  };
  clauses.push(`tenant_id = ${param(query.tenantId)}`);
  if (query.startUs !== undefined) clauses.push(`event_time_us >= ${param(query.startUs.toString())}`);
  if (query.endUs !== undefined) clauses.push(`event_time_us < ${param(query.endUs.toString())}`);
  if (query.userId !== undefined) {
    const p = param(query.userId);
    clauses.push(`(subject_user_id = ${p} OR actor_user_id = ${p})`);
  }
  if (query.actorId !== undefined) clauses.push(`actor_id = ${param(query.actorId)}`);
  if (query.actions.length > 0) clauses.push(`action = ANY(${param([...query.actions])}::text[])`);
  if (query.outcome !== undefined) clauses.push(`outcome = ${param(query.outcome)}`);
  if (query.source !== undefined) clauses.push(`source = ${param(query.source)}`);
  if (query.minClassification !== undefined) clauses.push(`classification >= ${param(query.minClassification)}`);
  return { where: clauses.join(' AND '), params };
}
