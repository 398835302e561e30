import { printBanners, runServices } from '@aegis/shared';
import { authService } from './definition.js';

// The first start's bootstrap key exists nowhere else: printBanners shows it on stdout, once.
printBanners(await runServices([authService], { processName: 'aegis-auth' }));
