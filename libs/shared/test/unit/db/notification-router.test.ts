import { NotificationRouter } from '../../../src/db/notification-router.js';
import { createLogger } from '../../../src/logging/index.js';

function router(): { router: NotificationRouter; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ service: 'unit', level: 'warn', destination: { write: (line: string) => lines.push(line) } });
  return { router: new NotificationRouter(logger), lines };
}

describe('NotificationRouter', () => {
  it('asks for LISTEN on the first subscriber and UNLISTEN after the last', () => {
    const { router: r } = router();
    const a = r.add('c', () => {});
    const b = r.add('c', () => {});
    expect([a.first, b.first]).toEqual([true, false]);
    expect(r.remove('c', a.subscription)).toBe(false);
    expect(r.remove('c', a.subscription)).toBe(false); // removing twice is harmless
    expect(r.remove('c', b.subscription)).toBe(true);
    expect(r.has('c')).toBe(false);
  });

  it('delivers to every subscriber of the channel only, logging (not throwing) failures', async () => {
    const { router: r, lines } = router();
    const got: string[] = [];
    r.add('c', () => {
      throw new Error('sync boom');
    });
    r.add('c', async () => {
      throw new Error('async boom');
    });
    r.add('c', (p) => got.push(`c:${p}`));
    r.add('other', (p) => got.push(`other:${p}`));
    expect(() => r.dispatch('c', 'x')).not.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toEqual(['c:x']);
    expect(lines.join('')).toContain('sync boom');
    expect(lines.join('')).toContain('async boom');
  });

  it('runs every onReconnect hook once per reconnection', () => {
    const { router: r } = router();
    let calls = 0;
    r.add('a', () => {}, { onReconnect: () => (calls += 1) });
    r.add('b', () => {}, { onReconnect: () => (calls += 10) });
    r.add('b', () => {});
    r.reconnected();
    expect(calls).toBe(11);
  });
});
