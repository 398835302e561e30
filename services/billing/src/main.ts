import { runServices } from '@aegis/shared';
import { billingService } from './definition.js';

await runServices([billingService], { processName: 'aegis-billing' });
