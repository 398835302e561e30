import { printBanners, runServices } from '@aegis/shared';
import { authService } from './definition.js';

printBanners(await runServices([authService], { processName: 'aegis-auth' }));
