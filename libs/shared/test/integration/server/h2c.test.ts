import { type AddressInfo, connect } from 'node:net';
import { createH2cListener } from '../../../src/server/h2c-listener.js';
import { startProbeServer } from './fixtures/probe-server.js';

// Sends raw bytes in pieces, as a slow or unusual client would, and returns the raw reply.
function rawExchange(port: number, pieces: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('close', () => resolve(reply));
    socket.on('error', reject);
    socket.once('connect', async () => {
      for (const piece of pieces) {
        socket.write(piece);
        await new Promise((r) => setTimeout(r, 20));
      }
    });
  });
}

test('HTTP/1.1 whose first bytes arrive one at a time (even "P", like the HTTP/2 preface) still reaches HTTP/1.1', async () => {
  const probe = await startProbeServer();
  try {
    const get = await rawExchange(probe.port, ['G', 'ET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    expect(get).toMatch(/^HTTP\/1\.1 200/);
    const post = await rawExchange(probe.port, [
      'P',
      'O',
      'ST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
    ]);
    expect(post).toMatch(/^HTTP\/1\.1 200/);
  } finally {
    await probe.server.shutdown(1_000);
  }
});

describe('slow clients', () => {
  async function listen(listener: ReturnType<typeof createH2cListener>): Promise<number> {
    await new Promise<void>((resolve) => listener.listener.listen(0, '127.0.0.1', resolve));
    return (listener.listener.address() as AddressInfo).port;
  }

  test('a connection that sends nothing is dropped after firstBytesTimeoutMs', async () => {
    const h2c = createH2cListener((_req, res) => res.end(), { firstBytesTimeoutMs: 100 });
    const port = await listen(h2c);
    try {
      const started = Date.now();
      expect(await rawExchange(port, [])).toBe('');
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      h2c.listener.close();
    }
  });

  test('HTTP/1.1 headers that never finish get 408 (Node enforces headersTimeout)', async () => {
    const h2c = createH2cListener((_req, res) => res.end(), {
      http1: { headersTimeout: 200, requestTimeout: 200, connectionsCheckingInterval: 50 },
    });
    const port = await listen(h2c);
    try {
      expect(await rawExchange(port, ['GET / HTTP/1.1\r\nHost: x\r\n'])).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      h2c.listener.close();
    }
  });
});
