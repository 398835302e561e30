import { printBanners, runServices } from '@aegis/shared';
import { policyService } from './definition.js';

printBanners(await runServices([policyService], { processName: 'aegis-policy' }));
