import { printBanners, runServices } from '@aegis/shared';
import { billingService } from './definition.js';

printBanners(await runServices([billingService], { processName: 'aegis-billing' }));
