import { printBanners, runServices } from '@aegis/shared';
import { piiService } from './definition.js';

printBanners(await runServices([piiService], { processName: 'aegis-pii' }));
