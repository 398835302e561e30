export { ratelimitService } from './definition.js';
