import { chooseGitHubEmail, parseGitHubEmails } from '../../../src/sso/domain/github-email.js';

const emails = parseGitHubEmails([
  { email: 'Alice@Personal.example', primary: true, verified: true, visibility: 'public' },
  { email: 'alice@unverified.example', primary: false, verified: false },
  { email: 'alice@corp.example', primary: false, verified: true },
  { email: 42 },
  null,
]);

describe('choosing the GitHub address', () => {
  test('parses the API answer, dropping malformed entries', () => {
    expect(emails).toHaveLength(3);
  });

  test('the verified primary, lower-cased, when no domain rule applies', () => {
    expect(chooseGitHubEmail(emails, [])).toBe('alice@personal.example');
  });

  test('a verified address in an admitted domain when the primary is elsewhere', () => {
    expect(chooseGitHubEmail(emails, ['corp.example'])).toBe('alice@corp.example');
  });

  test('never an unverified address', () => {
    expect(chooseGitHubEmail(emails, ['unverified.example'])).toBe('alice@personal.example');
    expect(chooseGitHubEmail(parseGitHubEmails([{ email: 'x@y.example', primary: true, verified: false }]), [])).toBeUndefined();
  });
});
