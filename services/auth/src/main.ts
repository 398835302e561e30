import { runServices } from '@aegis/shared';
import { authService } from './definition.js';

await runServices([authService], { processName: 'aegis-auth' });
