import { runServices } from '@aegis/shared';
import { ratelimitService } from './definition.js';

await runServices([ratelimitService], { processName: 'aegis-ratelimit' });
