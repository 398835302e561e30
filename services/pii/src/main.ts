import { runServices } from '@aegis/shared';
import { piiService } from './definition.js';

await runServices([piiService], { processName: 'aegis-pii' });
