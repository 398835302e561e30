import { createRequire, syncBuiltinESMExports } from 'node:module';

// Works around connectrpc/connect-es#1768 (open, fix proposed in #1769): when an HTTP/2 peer
// sends GOAWAY on an idle client connection, connect-node's session manager destroys the
// session with an error that Node raises only once the socket has closed; if the manager has
// left that state meanwhile, its listeners are gone and the error crashes the process. Here it
// hit every service calling auth or policy while those restarted (the e2e test's shutdown). Each
// client session gets one extra 'error' listener, so such a late error is dropped instead of
// thrown; errors still reach connect-node's own listeners while they are attached. Remove this
// once connect-node ships the fix.
const GUARDED = Symbol.for('aegis.http2GoawayGuard');

export function installHttp2GoawayGuard(): void {
  const http2 = createRequire(import.meta.url)('node:http2') as typeof import('node:http2') & { [GUARDED]?: true };
  if (http2[GUARDED]) return;
  const connect = http2.connect;
  http2.connect = function guardedConnect(this: unknown, ...args: Parameters<typeof connect>) {
    const session = connect.apply(this, args);
    session.on('error', () => {});
    return session;
  } as typeof connect;
  http2[GUARDED] = true;
  // connect-node imports `* as http2 from "node:http2"`: ESM bindings of a builtin follow its
  // CommonJS exports only after this call.
  syncBuiltinESMExports();
}
