export { policyService } from './definition.js';
