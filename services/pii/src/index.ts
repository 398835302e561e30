export { piiService } from './definition.js';
