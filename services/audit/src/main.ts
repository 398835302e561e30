import { printBanners, runServices } from '@aegis/shared';
import { auditService } from './definition.js';

printBanners(await runServices([auditService], { processName: 'aegis-audit' }));
