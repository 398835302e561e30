import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { initTelemetry } from '../../../src/telemetry/index.js';

// A stand-in OTLP/HTTP collector: records what the exporter posts.
async function startCollector() {
  const posts: Array<{ path: string; contentType: string | undefined; bytes: number }> = [];
  const server = createServer((req: IncomingMessage, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', contentType: req.headers['content-type'], bytes });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, posts, close: () => new Promise((resolve) => server.close(resolve)) };
}

test('with otlpEndpoint, spans are batched to <endpoint>/v1/traces and flushed by shutdown', async () => {
  const collector = await startCollector();
  try {
    const telemetry = initTelemetry({ serviceName: 'probe', otlpEndpoint: `${collector.url}/` });
    trace.getTracer('test').startSpan('work').end();
    expect(collector.posts).toEqual([]); // batched, not sent per span
    await telemetry.shutdown();
    expect(collector.posts).toHaveLength(1);
    expect(collector.posts[0]).toMatchObject({ path: '/v1/traces' });
    expect(collector.posts[0]?.bytes).toBeGreaterThan(0);
    // Shut down means unregistered: the global tracer is a no-op again.
    expect(trace.getTracer('test').startSpan('after').isRecording()).toBe(false);
  } finally {
    await collector.close();
  }
});
