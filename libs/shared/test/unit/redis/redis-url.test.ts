import { parseRedisUrl, redactRedisUrl, RedisUrlError } from '../../../src/redis/index.js';

describe('parseRedisUrl', () => {
  it('reads a single server with defaults', () => {
    expect(parseRedisUrl('redis://127.0.0.1')).toEqual({ mode: 'single', tls: false, nodes: [{ host: '127.0.0.1', port: 6379 }], db: 0 });
  });

  it('reads TLS, credentials (percent-decoded) and the database number', () => {
    expect(parseRedisUrl('rediss://app:p%40ss%3Aword@cache.internal:6380/2')).toEqual({
      mode: 'single',
      tls: true,
      nodes: [{ host: 'cache.internal', port: 6380 }],
      username: 'app',
      password: 'p@ss:word',
      db: 2,
    });
  });

  it('treats a lone user-info as the password (redis-cli convention) and ":pw" as password only', () => {
    expect(parseRedisUrl('redis://s3cret@h')).toMatchObject({ password: 's3cret' });
    expect(parseRedisUrl('redis://s3cret@h')).not.toHaveProperty('username');
    expect(parseRedisUrl('redis://:s3cret@h')).toMatchObject({ password: 's3cret' });
  });

  it('keeps unencoded "@", "/" and "?" inside a password', () => {
    expect(parseRedisUrl('redis://u:a@b/c?d@h:1')).toMatchObject({ username: 'u', password: 'a@b/c?d', nodes: [{ host: 'h', port: 1 }] });
  });

  it('reads cluster seed nodes, IPv6 included', () => {
    expect(parseRedisUrl('rediss+cluster://:pw@10.0.0.1:7000,10.0.0.2,[::1]:7002')).toEqual({
      mode: 'cluster',
      tls: true,
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 6379 },
        { host: '::1', port: 7002 },
      ],
      password: 'pw',
      db: 0,
    });
  });

  it.each([
    ['http://h:6379', /expected redis:\/\//],
    ['redis://h1:6379,h2:6379', /several hosts need redis\+cluster/],
    ['redis+cluster://h1:7000/3', /only has database 0/],
    ['redis://h:6379/x', /database number/],
    ['redis://h:70000', /out of range/],
    ['redis://h:6379?tls=true', /query parameters are not supported/],
    ['redis://bad host', /is not host\[:port\]/],
  ])('rejects %s', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(RedisUrlError);
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it('never puts the password into its errors', () => {
    for (const url of ['redis://user:topsecret@h:99999', 'redis://topsecret@bad host', 'redis+cluster://:topsecret@h/5', 'redis://:%zztopsecret@h']) {
      expect(() => parseRedisUrl(url)).toThrow(RedisUrlError);
      try {
        parseRedisUrl(url);
      } catch (err) {
        expect((err as Error).message).not.toContain('topsecret');
      }
    }
  });
});

describe('redactRedisUrl', () => {
  it.each([
    ['redis://app:pw@h:6379/1', 'redis://app:***@h:6379/1'],
    ['redis://pw@h', 'redis://:***@h'],
    ['rediss+cluster://:pw@a:1,b:2', 'rediss+cluster://:***@a:1,b:2'],
    ['redis://h:6379', 'redis://h:6379'],
  ])('%s → %s', (url, redacted) => {
    expect(redactRedisUrl(url)).toBe(redacted);
  });
});
