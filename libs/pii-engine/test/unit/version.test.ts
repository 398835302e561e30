import { readFile } from 'node:fs/promises';
import { PII_ENGINE_VERSION } from '../../src/index.js';

test('the engine version pii reports is the package version', async () => {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  expect(PII_ENGINE_VERSION).toBe(pkg.version);
});
