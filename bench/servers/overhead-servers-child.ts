// Entry of the child process that `runtime-overhead.ts --server=child` starts.
import { serveToParent } from '../lib/child-server.js';
import { type OverheadServerOptions, startOverheadServers } from './overhead-servers.js';

const options = JSON.parse(process.argv[2] ?? '{}') as OverheadServerOptions;
serveToParent(() => startOverheadServers(options));
