import { readFile } from 'node:fs/promises';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { PolicyTestService, type RunPolicyTestsResponse } from '@aegis/proto/aegis/policy/v1/policy_test_service_pb.js';
import type { FieldViolation, PolicyTestRun } from '@aegis/policy-service/policy-tests';

// `--server`: the suite is sent to PolicyTestService.RunPolicyTests, so the tenant's stored
// rules take part (with the files' drafts laid over them).

export const API_KEY_VARIABLE = 'AEGIS_API_KEY';

export type ServerOutcome =
  | { kind: 'ran'; response: RunPolicyTestsResponse }
  /** InvalidArgument: the violations the server named, to be placed in the files. */
  | { kind: 'invalid'; violations: FieldViolation[] }
  | { kind: 'failed'; message: string };

/** The credential: --api-key-file, else AEGIS_API_KEY. Never echoed. */
export async function readApiKey(file: string | undefined, env: Readonly<Record<string, string | undefined>>): Promise<{ key?: string; problem?: string }> {
  if (file !== undefined) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) return { problem: `--api-key-file: cannot read ${file}` };
    const key = text.trim();
    return key === '' ? { problem: `--api-key-file: ${file} is empty` } : { key };
  }
  const key = env[API_KEY_VARIABLE]?.trim();
  if (key === undefined || key === '') return { problem: `--server needs a credential: set ${API_KEY_VARIABLE} or pass --api-key-file` };
  return { key };
}

export async function runOnServer(url: string, apiKey: string, run: PolicyTestRun, timeoutMs: number): Promise<ServerOutcome> {
  const client = createClient(PolicyTestService, createConnectTransport({ baseUrl: url, httpVersion: '1.1' }));
  try {
    const response = await client.runPolicyTests(run, { headers: { authorization: `Bearer ${apiKey}` }, timeoutMs });
    return { kind: 'ran', response };
  } catch (err) {
    const error = ConnectError.from(err);
    if (error.code === Code.InvalidArgument) return { kind: 'invalid', violations: violationsIn(error.rawMessage) };
    const hint = error.code === Code.Unauthenticated ? ` (check ${API_KEY_VARIABLE} or --api-key-file)`
      : error.code === Code.PermissionDenied ? ' (running policy tests needs the policy:test permission in the tenant)'
      : '';
    return { kind: 'failed', message: `${url}: ${Code[error.code]}: ${error.rawMessage}${hint}` };
  }
}

// The fields RunPolicyTests can name: request paths, or a stored rule (`roles[old]...`).
const FIELD = String.raw`(?:tenant_id|cases|draft_roles|draft_policies|roles\[|policies\[)[\w.[\]$-]*`;

/**
 * The server's InvalidArgument message is "field: description", or several joined by "; "
 * (policy's `rejected()`), each field a request path such as `draft_roles[0].inherits[0]`.
 */
export function violationsIn(message: string): FieldViolation[] {
  return message.split(new RegExp(`; (?=${FIELD}: )`)).map((part) => {
    const match = new RegExp(`^(${FIELD}): ([\\s\\S]*)$`).exec(part);
    return match === null ? { field: '', description: part } : { field: match[1] as string, description: match[2] as string };
  });
}
