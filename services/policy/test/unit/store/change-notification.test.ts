import { encodePolicyChange, parsePolicyChange } from '../../../src/store/change-notification.js';

describe('policy change notification payload', () => {
  test('round-trips tenant and version, also for tenant ids containing a colon', () => {
    for (const change of [
      { tenantId: 'acme', policyVersion: 1n },
      { tenantId: 'org:acme:eu', policyVersion: 9_007_199_254_740_993n },
    ]) {
      expect(parsePolicyChange(encodePolicyChange(change))).toEqual(change);
    }
  });

  test.each(['', 'acme', ':7', 'acme:', 'acme:-1', 'acme:1.5', 'acme:12345678901234567890'])('refuses %p', (payload) => {
    expect(parsePolicyChange(payload)).toBeUndefined();
  });
});
