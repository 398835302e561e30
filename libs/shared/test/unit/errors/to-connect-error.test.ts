import { Code, ConnectError } from '@connectrpc/connect';
import {
  AegisError,
  aborted,
  alreadyExists,
  invalidArgument,
  notFound,
  resourceExhausted,
  toConnectError,
  unavailable,
  type ErrorKind,
} from '../../../src/errors/index.js';
import { createLogger } from '../../../src/logging/index.js';

function capturingLogger() {
  const lines: string[] = [];
  const logger = createLogger({ service: 'test', level: 'debug', destination: { write: (chunk: string) => void lines.push(chunk) } });
  const records = () => lines.join('').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, any>);
  return { logger, lines, records };
}

describe('toConnectError: AegisError', () => {
  const table: [ErrorKind, Code][] = [
    ['invalid_argument', Code.InvalidArgument],
    ['not_found', Code.NotFound],
    ['already_exists', Code.AlreadyExists],
    ['failed_precondition', Code.FailedPrecondition],
    ['permission_denied', Code.PermissionDenied],
    ['unauthenticated', Code.Unauthenticated],
    ['resource_exhausted', Code.ResourceExhausted],
    ['unavailable', Code.Unavailable],
    ['deadline_exceeded', Code.DeadlineExceeded],
    ['aborted', Code.Aborted],
    ['internal', Code.Internal],
  ];

  test.each(table)('%s maps to Code %i with its message and the error kept as cause', (kind, code) => {
    const err = new AegisError(kind, `something about ${kind}`);
    const mapped = toConnectError(err);
    expect(mapped).toBeInstanceOf(ConnectError);
    expect(mapped.code).toBe(code);
    expect(mapped.rawMessage).toBe(`something about ${kind}`);
    expect(mapped.cause).toBe(err);
    expect(mapped.details).toEqual([]);
  });

  test('metadata becomes response headers, e.g. retry-after rounded up to whole seconds', () => {
    const mapped = toConnectError(resourceExhausted('rate limit exceeded', { retryAfterMs: 1_200 }));
    expect(mapped.code).toBe(Code.ResourceExhausted);
    expect(mapped.metadata.get('retry-after')).toBe('2');
  });

  test('metadata with an invalid header name is dropped instead of breaking the mapping', () => {
    const err = new AegisError('unavailable', 'down', { metadata: { 'bad header': 'x', 'x-ok': 'y' } });
    const mapped = toConnectError(err);
    expect(mapped.code).toBe(Code.Unavailable);
    expect(mapped.metadata.get('x-ok')).toBe('y');
  });

  test('the original cause stays reachable for server-side logs', () => {
    const root = new Error('connect ECONNREFUSED 10.0.0.5:5432');
    const mapped = toConnectError(unavailable('database unavailable', { cause: root }));
    expect((mapped.cause as AegisError).cause).toBe(root);
    expect(mapped.message).not.toContain('ECONNREFUSED');
  });

  test('an internal AegisError is logged; other kinds are expected outcomes and are not', () => {
    const log = capturingLogger();
    toConnectError(notFound('api key', 'k_1'), log.logger);
    expect(log.lines).toHaveLength(0);
    toConnectError(new AegisError('internal', 'ledger out of balance', { cause: new Error('sum mismatch') }), log.logger);
    const [record] = log.records();
    expect(record).toMatchObject({ level: 50, err: { type: 'AegisError' } });
    // pino's error serializer appends the cause chain, which is what the operator needs
    expect(record!.err.message).toBe('ledger out of balance: sum mismatch');
  });
});

describe('AegisError constructors', () => {
  test('invalidArgument names the field in the message and keeps it', () => {
    const err = invalidArgument('policy.rules[2].name', 'must not be empty');
    expect(err.kind).toBe('invalid_argument');
    expect(err.field).toBe('policy.rules[2].name');
    expect(err.message).toContain('policy.rules[2].name');
    expect(err.retryable).toBe(false);
  });

  test('notFound / alreadyExists phrase with and without id', () => {
    expect(notFound('tenant').message).toBe('tenant not found');
    expect(notFound('api key', 'k_1').message).toBe('api key k_1 not found');
    expect(alreadyExists('tenant', 'acme').kind).toBe('already_exists');
  });

  test('retryable defaults by kind and can be overridden', () => {
    expect(aborted('serialization failure').retryable).toBe(true);
    expect(unavailable('redis down').retryable).toBe(true);
    expect(resourceExhausted('quota').retryable).toBe(true);
    expect(notFound('x').retryable).toBe(false);
    expect(new AegisError('resource_exhausted', 'monthly budget spent', { retryable: false }).retryable).toBe(false);
  });
});

describe('toConnectError: other errors', () => {
  test('a ConnectError passes through as the same instance', () => {
    const original = new ConnectError('token expired', Code.Unauthenticated);
    expect(toConnectError(original)).toBe(original);
  });

  test.each([
    ['TypeError', new TypeError("Cannot read properties of undefined (reading 'tenantId')")],
    ['pg-like error', Object.assign(new Error('relation "api_keys" does not exist'), { code: '42P01', table: 'api_keys' })],
    ['thrown string', 'ledger row 42 missing'],
  ])('%s becomes Internal "internal error" without leaking message, stack or details', (_name, thrown) => {
    const log = capturingLogger();
    const mapped = toConnectError(thrown, log.logger);

    expect(mapped.code).toBe(Code.Internal);
    expect(mapped.rawMessage).toBe('internal error');
    expect(mapped.details).toEqual([]);
    expect([...mapped.metadata.keys()]).toEqual([]);
    const original = thrown instanceof Error ? thrown.message : thrown;
    expect(mapped.message).not.toContain(original);

    const [record] = log.records();
    expect(record).toMatchObject({ level: 50, msg: 'unexpected error mapped to internal' });
    // the operator still gets the original: the log is where it belongs
    expect(typeof record!.err === 'string' ? record!.err : record!.err.message).toBe(original);
  });

  test('the log line carries the original message and stack', () => {
    const log = capturingLogger();
    const thrown = new TypeError('x is not a function');
    toConnectError(thrown, log.logger);
    const [record] = log.records();
    expect(record!.err).toMatchObject({ type: 'TypeError', message: 'x is not a function' });
    expect(record!.err.stack).toContain('TypeError: x is not a function');
  });

  test('without a logger the mapping still flattens', () => {
    expect(toConnectError(new RangeError('boom')).rawMessage).toBe('internal error');
  });

  test('AbortError and TimeoutError map to Canceled and DeadlineExceeded, not Internal', () => {
    const log = capturingLogger();
    const abortError = Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
    const timeoutError = Object.assign(new Error('The operation timed out'), { name: 'TimeoutError' });
    expect(toConnectError(abortError, log.logger).code).toBe(Code.Canceled);
    expect(toConnectError(timeoutError, log.logger).code).toBe(Code.DeadlineExceeded);
    expect(log.records().every((record) => record.level < 50)).toBe(true);
  });
});

describe('toConnectError: InvalidArgument carries a BadRequest detail', () => {
  test('one field from invalidArgument()', async () => {
    const { BadRequestSchema } = await import('@aegis/proto/aegis/common/v1/error_details_pb.js');
    const mapped = toConnectError(invalidArgument('items[3].action', 'must not be empty'));
    const [detail] = mapped.findDetails(BadRequestSchema);
    expect(detail?.fieldViolations.map((v) => [v.field, v.description])).toEqual([['items[3].action', 'must not be empty']]);
  });

  test('every violation given, in order', async () => {
    const { BadRequestSchema } = await import('@aegis/proto/aegis/common/v1/error_details_pb.js');
    const violations = [{ field: 'policy.actions[1]', description: 'bad action' }, { field: 'policy.condition.user.a.$foo', description: 'unknown operator $foo' }];
    const mapped = toConnectError(new AegisError('invalid_argument', 'two problems', { field: 'policy.actions[1]', violations }));
    expect(mapped.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(['policy.actions[1]', 'policy.condition.user.a.$foo']);
  });

  test('no detail on other kinds', async () => {
    const { BadRequestSchema } = await import('@aegis/proto/aegis/common/v1/error_details_pb.js');
    expect(toConnectError(notFound('role', 'x')).findDetails(BadRequestSchema)).toEqual([]);
  });
});
