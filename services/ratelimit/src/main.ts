import { printBanners, runServices } from '@aegis/shared';
import { ratelimitService } from './definition.js';

printBanners(await runServices([ratelimitService], { processName: 'aegis-ratelimit' }));
