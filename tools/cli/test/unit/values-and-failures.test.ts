import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { BadRequestSchema } from '@aegis/proto/aegis/common/v1/error_details_pb.js';
import { MoneySchema } from '@aegis/proto/aegis/common/v1/money_pb.js';
import { EXIT } from '../../src/command.js';
import { parseLimit, limitText } from '../../src/commands/limits/limits.js';
import { money, parseAmount, parseDurationSeconds } from '../../src/output/values.js';
import { renderTable } from '../../src/output/table.js';
import { describeFailure } from '../../src/server/failure.js';
import { UsageError } from '../../src/server/server-command.js';

test('amounts are exact decimals over nanos, both ways', () => {
  expect(parseAmount('10.5')).toBe(10_500_000_000n);
  expect(parseAmount('0.000000001')).toBe(1n);
  expect(parseAmount('1.0000000001')).toBeUndefined(); // more than 9 decimals
  expect(parseAmount('1,5')).toBeUndefined();
  expect(parseAmount('-1')).toBeUndefined();
  const m = (nanos: bigint) => money(create(MoneySchema, { currencyCode: 'USD', amountNanos: nanos }));
  expect(m(10_500_000_000n)).toBe('USD 10.50');
  expect(m(60_000_000n)).toBe('USD 0.06');
  expect(m(1n)).toBe('USD 0.000000001');
  expect(m(-2_000_000_000n)).toBe('USD -2.00');
  // Beyond a double's exact range: still exact.
  expect(m(9_007_199_254_740_993_001n)).toBe('USD 9007199254.740993001');
});

test('durations and the --limit syntax', () => {
  expect(parseDurationSeconds('90s')).toBe(90n);
  expect(parseDurationSeconds('7d')).toBe(604_800n);
  expect(parseDurationSeconds('1.5h')).toBeUndefined();
  const limit = parseLimit('llm_tokens=100000/1m:150000');
  expect({ name: limit.name, quota: limit.quota, window: limit.window?.seconds, burst: limit.burst }).toEqual({ name: 'llm_tokens', quota: 100_000n, window: 60n, burst: 150_000n });
  expect(limitText(limit)).toBe('llm_tokens=100000/1m:150000');
  expect(limitText(parseLimit('rpm=10/1m'))).toBe('rpm=10/1m');
  expect(() => parseLimit('rpm=10')).toThrow(UsageError);
});

test('Connect codes map to messages with hints and to exit codes', () => {
  const target = { service: 'policy' as const, url: 'http://p:8082' };
  const invalid = new ConnectError('role.permissions[0]: bad', Code.InvalidArgument, undefined, [{ desc: BadRequestSchema, value: { fieldViolations: [{ field: 'role.permissions[0]', description: 'bad' }] } }]);
  expect(describeFailure(invalid, target)).toEqual({ exitCode: EXIT.invalidInput, code: 'invalid_argument', message: 'policy (http://p:8082): InvalidArgument: role.permissions[0]: bad', violations: [{ field: 'role.permissions[0]', description: 'bad' }] });
  expect(describeFailure(new ConnectError('x', Code.NotFound), target).exitCode).toBe(EXIT.invalidInput);
  expect(describeFailure(new ConnectError('x', Code.Aborted), target)).toMatchObject({ exitCode: EXIT.failed, message: expect.stringContaining('read it again and retry') });
  expect(describeFailure(new ConnectError('missing permission role:write', Code.PermissionDenied), target)).toMatchObject({ exitCode: EXIT.unavailable, code: 'permission_denied' });
  expect(describeFailure(new ConnectError('x', Code.Unavailable), target).message).toContain('is the policy service running there? Set --policy-url, AEGIS_POLICY_URL or AEGIS_URL');
  const refused = new ConnectError('Error: connect ECONNREFUSED 127.0.0.1:1', Code.Internal);
  expect(describeFailure(refused, target)).toMatchObject({ exitCode: EXIT.unavailable, code: 'unavailable' });
  expect(describeFailure(new TypeError('boom'), target)).toEqual({ exitCode: EXIT.unavailable, code: 'error', message: 'unexpected error: boom', violations: [] });
});

test('tables align columns and say when they are empty', () => {
  const rows = [{ a: 'x', b: 'long value' }, { a: 'longer', b: 'y' }];
  expect(renderTable([{ header: 'a', value: (r: (typeof rows)[number]) => r.a }, { header: 'bee', value: (r) => r.b }], rows)).toBe('A       BEE\nx       long value\nlonger  y\n');
  expect(renderTable([{ header: 'a', value: (r: { a: string }) => r.a }], [], '(no keys)')).toBe('(no keys)\n');
});
