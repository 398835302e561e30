export { authService } from './definition.js';
