import { createServer as createHttp1Server, type ServerOptions as Http1Options } from 'node:http';
import { createServer as createHttp2Server, type Http2Server } from 'node:http2';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import type { HttpRequest, HttpResponse } from './http-routes.js';

// Every HTTP/2 prior-knowledge connection starts with "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
// no HTTP/1.1 request can start with "PRI".
const HTTP2_PREFACE_START = Buffer.from('PRI');

export interface H2cListenerOptions {
  /** Options of the HTTP/1.1 server (timeouts, header limits). Node's defaults otherwise. */
  http1?: Http1Options;
  /** A connection that sends nothing for this long is dropped. Default 10 s. */
  firstBytesTimeoutMs?: number;
}

export interface H2cListener {
  /** The listening socket: its `close()` is what refuses new connections. */
  readonly listener: Server;
  readonly http2: Http2Server;
  /** Called with each accepted socket once its protocol is known. */
  onSocket(handler: (socket: Socket, protocol: 'http1' | 'http2') => void): void;
}

/**
 * HTTP/1.1 and cleartext HTTP/2 (h2c, prior knowledge) on one port: curl and browsers
 * speak the former, gRPC clients the latter. Node 20's plaintext `http2.createServer`
 * ignores `allowHTTP1` (it is honoured for TLS only), so the first bytes of each
 * connection decide which of two Node servers gets it.
 */
export function createH2cListener(
  handle: (req: HttpRequest, res: HttpResponse) => void,
  opts: H2cListenerOptions = {},
): H2cListener {
  const firstBytesTimeoutMs = opts.firstBytesTimeoutMs ?? 10_000;
  const http1 = createHttp1Server(opts.http1 ?? {}, handle);
  const http2 = createHttp2Server(handle);
  // The HTTP/1.1 server never listens itself, but Node only enforces headersTimeout and
  // requestTimeout (slow-client protection) once a server has emitted 'listening'.
  http1.emit('listening');
  const socketHandlers: Array<(socket: Socket, protocol: 'http1' | 'http2') => void> = [];

  const listener = createNetServer((socket) => {
    const received: Buffer[] = [];
    // Until handed over, a failing socket is nobody else's problem: just drop it.
    const onError = () => socket.destroy();
    socket.on('error', onError);
    // A connection that never says anything would otherwise be held open forever.
    socket.setTimeout(firstBytesTimeoutMs, () => socket.destroy());
    const onData = (chunk: Buffer) => {
      received.push(chunk);
      const head = Buffer.concat(received);
      if (head.length < HTTP2_PREFACE_START.length && head.equals(HTTP2_PREFACE_START.subarray(0, head.length))) return;
      socket.off('data', onData);
      socket.off('error', onError);
      socket.setTimeout(0);
      socket.pause();
      // Give the bytes back, so the chosen server parses the connection from its first byte.
      socket.unshift(head);
      const protocol = head.subarray(0, HTTP2_PREFACE_START.length).equals(HTTP2_PREFACE_START) ? 'http2' : 'http1';
      for (const handler of socketHandlers) handler(socket, protocol);
      if (protocol === 'http2') {
        // The HTTP/2 session reads the unshifted bytes itself; resuming would emit them to nobody.
        http2.emit('connection', socket);
      } else {
        http1.emit('connection', socket);
        socket.resume(); // pause() above stops the HTTP/1.1 parser's data listener from resuming it
      }
    };
    socket.on('data', onData);
  });

  // Stops the HTTP/1.1 server's timeout checks along with the listener.
  listener.once('close', () => http1.close());

  return {
    listener,
    http2,
    onSocket(handler) {
      socketHandlers.push(handler);
    },
  };
}
