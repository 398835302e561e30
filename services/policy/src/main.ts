import { runServices } from '@aegis/shared';
import { policyService } from './definition.js';

await runServices([policyService], { processName: 'aegis-policy' });
