export { AuditTrail, type AuditPublisher, type AuditTrailOptions } from './audit-trail.js';
export { CHANGE_ACTIONS, changeEvent, type ChangeAction, type ChangeAuditInput } from './change-event.js';
export { DECISION_ACTION, decisionEvent, flattenAttributes, MAX_AUDITED_ATTRIBUTES, MAX_AUDITED_VALUE_LENGTH, type DecisionAuditInput } from './decision-event.js';
export { actorOf } from './actor.js';
