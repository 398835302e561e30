import { emailDomain } from './external-identity.js';

// GitHub accounts have several addresses (GET /user/emails). The identity uses a verified
// one: the primary, unless the provider only admits certain domains and the primary is
// elsewhere, in which case the first verified address in an admitted domain (people often
// keep a personal primary and add their work address).

export interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

export function chooseGitHubEmail(emails: readonly GitHubEmail[], allowedDomains: readonly string[]): string | undefined {
  const verified = emails.filter((e) => e.verified).map((e) => ({ ...e, email: e.email.toLowerCase() }));
  const admitted = (email: string): boolean => allowedDomains.length === 0 || allowedDomains.includes(emailDomain(email) ?? '');
  const primary = verified.find((e) => e.primary);
  if (primary !== undefined && admitted(primary.email)) return primary.email;
  return verified.find((e) => admitted(e.email))?.email ?? primary?.email;
}

export function parseGitHubEmails(body: unknown): GitHubEmail[] {
  if (!Array.isArray(body)) return [];
  return body.flatMap((entry: unknown) => {
    const e = entry as Partial<Record<keyof GitHubEmail, unknown>> | null;
    if (e === null || typeof e !== 'object' || typeof e.email !== 'string') return [];
    return [{ email: e.email, primary: e.primary === true, verified: e.verified === true }];
  });
}
