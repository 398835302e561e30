// Contract hygiene enforced by buf itself: STANDARD lint, canonical
// formatting, and no breaking change (FILE rules) against the last commit.
import { runBuf } from './repo.js';

describe('buf', () => {
  test('lint passes (STANDARD rules)', async () => {
    const result = await runBuf(['lint']);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  test('every proto file is formatted (run `npx buf format -w` if this fails)', async () => {
    const result = await runBuf(['format', '--diff', '--exit-code']);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(0);
  });

  test('no breaking change against the last commit (FILE rules)', async () => {
    const result = await runBuf(['breaking', '--against', '.git#ref=HEAD']);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
