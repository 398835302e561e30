export { billingService } from './definition.js';
