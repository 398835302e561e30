import type { Http2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { H2cListener } from './h2c-listener.js';
import type { HttpRequest, HttpResponse } from './http-routes.js';

/**
 * Knows every connection and every request in flight, so a shutdown can refuse new work
 * on open connections, wait for the requests already accepted, and only then cut what
 * is left. Closing the listener alone would neither stop HTTP/1.1 keep-alive clients nor
 * HTTP/2 clients from sending new requests on connections they already hold.
 */
export class ConnectionTracker {
  readonly #sockets = new Set<Socket>();
  readonly #sessions = new Set<Http2Session>();
  readonly #http2Sockets = new Set<Socket>();
  // HTTP/1.1 sockets and how many requests each is serving (0 = idle keep-alive).
  readonly #http1Requests = new Map<Socket, number>();
  readonly #idleWaiters = new Set<() => void>();
  #inFlight = 0;
  #draining = false;

  attach(server: H2cListener): void {
    server.listener.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => {
        this.#sockets.delete(socket);
        this.#http2Sockets.delete(socket);
        this.#http1Requests.delete(socket);
      });
    });
    server.onSocket((socket, protocol) => {
      if (protocol === 'http2') this.#http2Sockets.add(socket);
      else this.#http1Requests.set(socket, 0);
    });
    server.http2.on('session', (session: Http2Session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      if (this.#draining) session.close();
    });
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Counts `req` as in flight until its response is finished or its connection is gone. */
  track(req: HttpRequest, res: HttpResponse): void {
    this.#inFlight++;
    const http1Socket = req.httpVersionMajor === 1 ? (req.socket as Socket) : undefined;
    if (http1Socket !== undefined) this.#http1Requests.set(http1Socket, (this.#http1Requests.get(http1Socket) ?? 0) + 1);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.#inFlight--;
      if (http1Socket !== undefined) this.#http1RequestEnded(http1Socket);
      if (this.#inFlight === 0) for (const wake of this.#idleWaiters) wake();
    };
    res.once('finish', end);
    res.once('close', end);
  }

  /**
   * GOAWAY to HTTP/2 clients (streams already open may finish), idle HTTP/1.1 sockets
   * closed, connections that have not sent their first bytes yet dropped.
   */
  beginDrain(): void {
    this.#draining = true;
    for (const session of this.#sessions) session.close();
    for (const socket of this.#sockets) {
      const requests = this.#http1Requests.get(socket);
      if (requests === 0) socket.end();
      else if (requests === undefined && !this.#http2Sockets.has(socket)) socket.destroy();
    }
  }

  /** Resolves `true` once nothing is in flight, `false` if `timeoutMs` passes first. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.#inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const settle = (idle: boolean) => {
        clearTimeout(timer);
        this.#idleWaiters.delete(onIdle);
        resolve(idle);
      };
      const onIdle = () => settle(true);
      const timer = setTimeout(() => settle(false), timeoutMs);
      this.#idleWaiters.add(onIdle);
    });
  }

  /** Cuts every connection still open: the last step, once waiting is over. */
  destroyAll(): void {
    for (const session of this.#sessions) session.destroy();
    for (const socket of this.#sockets) socket.destroy();
  }

  #http1RequestEnded(socket: Socket): void {
    const remaining = (this.#http1Requests.get(socket) ?? 1) - 1;
    this.#http1Requests.set(socket, remaining);
    // end(), not destroy(): the response may still sit in the socket's write buffer.
    if (this.#draining && remaining === 0) socket.end();
  }
}
