// The `source` field of VerifyApiKey names whom to throttle. Believed from a trusted proxy only:
// a direct caller inventing a new source per attempt must still be throttled by its address.
import { randomBytes } from 'node:crypto';
import { ApiKeyInvalidReason } from '@aegis/proto/aegis/auth/v1/api_key_pb.js';
import { generateApiKey } from '../../../src/api-keys/domain/api-key-format.js';
import { tempDataDir } from '../auth-harness.js';
import { embeddedApiKeysBackend, startApiKeysAuth, type ApiKeysAuth } from './api-keys-harness.js';

let auth: ApiKeysAuth;
let dataDir: { path: string; remove: () => Promise<void> };

beforeAll(async () => {
  dataDir = await tempDataDir();
  // Loopback is not a trusted proxy here, so this test's calls are an untrusted direct caller.
  auth = await startApiKeysAuth({ ...embeddedApiKeysBackend().env(dataDir.path), AEGIS_TRUSTED_PROXIES: '192.0.2.1' });
});

afterAll(async () => {
  await auth?.stop();
  await dataDir?.remove();
});

test('an untrusted caller cannot escape throttling by naming a new source each time', async () => {
  const client = auth.client();
  const answers: ApiKeyInvalidReason[] = [];
  for (let i = 0; i < 8; i++) {
    const res = await client.verifyApiKey({ key: generateApiKey('genxai', 'live'), source: `invented-${randomBytes(4).toString('hex')}` });
    answers.push(res.reason);
  }
  expect(answers.slice(0, 5)).toEqual(Array(5).fill(ApiKeyInvalidReason.NOT_FOUND));
  expect(answers.slice(6)).toEqual([ApiKeyInvalidReason.THROTTLED, ApiKeyInvalidReason.THROTTLED]);
});
