import { runServices } from '@aegis/shared';
import { authService } from './definition.js';

const running = await runServices([authService], { processName: 'aegis-auth' });
// The first start's bootstrap key exists nowhere else: the operator must see it on stdout
// (`npm start` prints the same lines from scripts/start-platform.ts).
const banner = running.services.flatMap((s) => s.banner);
if (banner.length > 0) process.stdout.write(`\n${banner.join('\n')}\n\n`);
